"""Worker processes for the CPU work of a crawl (parsing feeds, extracting pages), each task
within a time budget and every worker under a memory cap (address space it may add once started).

``concurrent.futures.ProcessPoolExecutor`` cannot stop one task that runs too long: here each
worker process has a thread in the parent that hands it one task at a time and waits at most the
task's budget; over it, the worker is killed and replaced and the task fails with
``OverBudget("parse took more than 20 s")``. A task that exhausts the memory cap
(``RLIMIT_AS``) fails with the reason too, and the worker is replaced.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from typing import TYPE_CHECKING, Any

from ingest.processes import ChildProcess

if TYPE_CHECKING:
    from config.schema import RaqibConfig

_OUT_OF_MEMORY = "ran out of memory"


class TaskFailed(Exception):
    """The task did not finish; the message says why, in words for the feed's record."""


class OverBudget(TaskFailed):
    pass


@dataclass(frozen=True, slots=True)
class _Task:
    future: Future[Any]
    function: Callable[..., Any]
    args: tuple[Any, ...]
    budget: float
    what: str  # "parse", "extract": named in the failure


def _worker_main(
    connection: Connection, memory_cap: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    if initializer is not None:
        initializer(*initargs)
    if memory_cap > 0:
        _cap_memory(memory_cap)
    while True:
        try:
            message = connection.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        function, args = message
        try:
            result: tuple[bool, Any] = (True, function(*args))
        except MemoryError:
            result = (False, f"{_OUT_OF_MEMORY} (the cap is {memory_cap // 2**20} MiB)")
        except Exception as error:  # noqa: BLE001 - hostile input can break any parser
            result = (False, f"{type(error).__name__}: {error}")
        try:
            connection.send(result)
        except MemoryError:
            connection.send((False, f"{_OUT_OF_MEMORY} (the cap is {memory_cap // 2**20} MiB)"))


def _cap_memory(headroom: int) -> None:
    """Let the address space grow by ``headroom`` beyond what the initialised worker holds: the
    libraries it imports reserve address space they never touch (over 1 GB here), so an absolute
    cap would measure them rather than the work."""
    import resource

    reserved = 0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                reserved = int(line.split()[1]) * 1024
    limit = reserved + headroom
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class _Worker:
    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.process: ChildProcess | None = None
        self.connection: Connection | None = None

    def start(self) -> None:
        parent, child = Pipe()
        process = ChildProcess(_worker_main, (child, self.pool.memory_cap, self.pool.initializer, self.pool.initargs))
        process.start()
        child.close()
        self.process, self.connection = process, parent

    def stop(self, *, kill: bool) -> None:
        process, connection = self.process, self.connection
        self.process = self.connection = None
        if process is None or connection is None:
            return
        if kill:
            process.kill()
        else:
            try:
                connection.send(None)
            except OSError:
                process.kill()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        connection.close()

    def run(self, task: _Task) -> None:
        if self.connection is None:
            self.start()
        assert self.connection is not None
        try:
            self.connection.send((task.function, task.args))
            if not self.connection.poll(task.budget):
                self.stop(kill=True)
                task.future.set_exception(OverBudget(f"{task.what} took more than {task.budget:g} s"))
                return
            ok, value = self.connection.recv()
        except (EOFError, OSError):
            self.stop(kill=True)
            task.future.set_exception(
                TaskFailed(f"{task.what} stopped its worker (memory cap {self.pool.memory_cap // 2**20} MiB?)")
            )
            return
        except Exception as error:  # noqa: BLE001 - an unpicklable task or answer: this task fails
            self.stop(kill=True)
            task.future.set_exception(TaskFailed(f"{task.what} failed: {type(error).__name__}: {error}"))
            return
        if ok:
            task.future.set_result(value)
            return
        if str(value).startswith(_OUT_OF_MEMORY):
            self.stop(kill=True)  # its heap may stay fragmented near the cap: a fresh one next
        task.future.set_exception(TaskFailed(f"{task.what} failed: {value}"))

    def loop(self) -> None:
        while True:
            task = self.pool.tasks.get()
            if task is None:
                # Workers hold nothing worth a graceful goodbye; one still importing would make
                # the crawl wait for it.
                self.stop(kill=True)
                return
            if task.future.set_running_or_notify_cancel():
                self.run(task)


class WorkerPool:
    """``size`` worker processes, started with the first task (a cycle of unchanged feeds starts
    none), each then importing and initialising in parallel with the crawl."""

    def __init__(
        self,
        size: int,
        *,
        memory_cap: int = 0,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.memory_cap = memory_cap
        self.initializer = initializer
        self.initargs = initargs
        self.tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._workers = [_Worker(self) for _ in range(max(1, size))]
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start every worker now (the first ``submit`` does it otherwise)."""
        with self._lock:
            if self._threads:
                return
            for worker in self._workers:
                worker.start()
            self._threads = [
                threading.Thread(target=worker.loop, name=f"raqib-worker-{n}", daemon=True)
                for n, worker in enumerate(self._workers)
            ]
            for thread in self._threads:
                thread.start()

    def submit(self, what: str, budget: float, function: Callable[..., Any], *args: Any) -> Future[Any]:
        self.start()
        future: Future[Any] = Future()
        self.tasks.put(_Task(future, function, args, budget, what))
        return future

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process is not None and w.process.pid is not None]

    def close(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self.tasks.put(None)
        for thread in threads:
            thread.join(10)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def worker_pool(config: RaqibConfig, *, beside_decider: bool = True, niceness: int = 0) -> WorkerPool:
    """The parse/extract workers (started by the first feed that needs parsing, or by the crawl's
    start when it will surely parse). Unless the config says how many: one per CPU core, less the
    one the decide process works on (``beside_decider``): parsing a 300-feed cycle is a few
    seconds of one core, and a worker fewer is ~45 MB less. Cheap to import and call: a crawl
    calls it before importing Scrapy and SQLAlchemy. ``niceness``: added to each worker's nice
    value (``ingest.tasks.init_worker``)."""
    import os

    from ingest.tasks import init_worker

    settings = config.pipeline
    cores = os.cpu_count() or 1
    size = settings.workers or max(1, cores - 1 if beside_decider else cores)
    return WorkerPool(
        size,
        memory_cap=settings.worker_memory,
        initializer=init_worker,
        initargs=({w.name: w.query for w in config.watches}, niceness),
    )
