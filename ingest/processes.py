"""Child processes of a crawl (its parse workers, its decide process), each a fresh interpreter
that runs one function.

``multiprocessing``'s ``forkserver`` start method, used before, costs two processes besides the
children: the fork server itself (a bare interpreter the children are forked from, ~14 MiB RSS)
and the resource tracker it always starts (~12 MiB RSS), which cleans up named semaphores and
shared memory, neither of which Raqib uses (its children talk over pipes). Both lived as long as
the crawl: ~26 MiB of the 300 × 50 first cycle's ~290 MiB (bench_pipeline). A child here is
started as ``forkserver`` started it, from a clean interpreter rather than a copy of the crawl's
threads and reactor, only by ``subprocess`` directly: the function and its arguments are
pickled to it over a pipe, and the ``multiprocessing`` connections among its arguments become the
child's ends of those pipes (their descriptors are passed to it, nothing else is).
"""

from __future__ import annotations

import atexit
import os
import pickle
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from io import BytesIO
from multiprocessing.connection import Connection
from typing import Any, BinaryIO

# The child's whole program: the parent's import path first (a function of a test module or of
# a checkout must be importable there too), then ``_run_child`` reads and runs the function.
_BOOTSTRAP = (
    "import os, pickle, sys\n"
    "boot = os.fdopen({fd}, 'rb')\n"
    "sys.path[:] = pickle.load(boot)\n"
    "from ingest.processes import _run_child\n"
    "_run_child(boot)\n"
)

# Started and not yet waited for: stopped when the parent exits, as ``multiprocessing`` stops
# its daemonic children (a child whose parent died also stops once its pipes reach their end).
_running: weakref.WeakSet[ChildProcess] = weakref.WeakSet()


class _ArgumentPickler(pickle.Pickler):
    """Pickles a connection as its descriptor, which the child is given under the same number."""

    def __init__(self, file: BinaryIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.descriptors: list[int] = []

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Connection):
            self.descriptors.append(obj.fileno())
            return ("connection", obj.fileno(), obj.readable, obj.writable)
        return None


class _ArgumentUnpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        _, descriptor, readable, writable = pid
        return Connection(descriptor, readable=readable, writable=writable)


class ChildProcess:
    """``target(*args)`` in a new interpreter: ``start``, then ``join``, ``kill`` or ``terminate``;
    ``sentinel`` becomes readable when it ends (for ``multiprocessing.connection.wait``) and
    ``exitcode`` says how (negative: the signal that killed it, as ``multiprocessing`` says it).
    The connections among ``args`` are the child's from then on: the caller closes its copies of
    them once ``start`` returns."""

    def __init__(self, target: Callable[..., Any], args: tuple[Any, ...] = ()) -> None:
        self._target = target
        self._args = args
        self._popen: subprocess.Popen[bytes] | None = None
        self.sentinel = -1

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    def start(self) -> None:
        buffer = BytesIO()
        pickler = _ArgumentPickler(buffer)
        pickler.dump((self._target, self._args))
        boot_read, boot_write = os.pipe()
        # Held open by the child until it ends, never written to: its end is the sentinel's EOF.
        alive_read, alive_write = os.pipe()
        passed = (boot_read, alive_write, *pickler.descriptors)
        try:
            self._popen = subprocess.Popen(
                [sys.executable, *_interpreter_flags(), "-c", _BOOTSTRAP.format(fd=boot_read)],
                stdin=subprocess.DEVNULL,
                pass_fds=passed,
            )
        except BaseException:
            for descriptor in (boot_read, boot_write, alive_read, alive_write):
                os.close(descriptor)
            raise
        os.close(boot_read)
        os.close(alive_write)
        self.sentinel = alive_read
        _running.add(self)
        weakref.finalize(self, os.close, alive_read)
        boot = pickle.dumps(sys.path, protocol=pickle.HIGHEST_PROTOCOL) + buffer.getvalue()
        # Written by a thread: the child reads it once its interpreter is up, and a large
        # argument (a config of hundreds of feeds) would otherwise hold the caller that long.
        threading.Thread(target=_write_all, args=(boot_write, boot), name="raqib-child-start", daemon=True).start()

    def join(self, timeout: float | None = None) -> None:
        if self._popen is None:
            return
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return
        _running.discard(self)

    def is_alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def kill(self) -> None:
        if self._popen is not None and self._popen.poll() is None:
            self._popen.kill()

    def terminate(self) -> None:
        if self._popen is not None and self._popen.poll() is None:
            self._popen.terminate()


def _interpreter_flags() -> list[str]:
    """The parent interpreter's options (``-O``, ``-X ...``, warnings), for the child as for
    ``multiprocessing``'s children."""
    flags: Callable[[], list[str]] | None = getattr(subprocess, "_args_from_interpreter_flags", None)
    return flags() if flags is not None else []


def _write_all(descriptor: int, data: bytes) -> None:
    try:
        with os.fdopen(descriptor, "wb") as pipe:
            pipe.write(data)
    except OSError:
        pass  # the child died before reading: its exit code says so


def _run_child(boot: BinaryIO) -> None:
    """In the child: run the function sent, then exit without the interpreter's teardown (as
    ``multiprocessing``'s children do): status 0, or 1 after printing what it raised."""
    code = 1
    try:
        target, args = _ArgumentUnpickler(boot).load()
        boot.close()
        target(*args)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
    except BaseException:  # noqa: BLE001 - reported on stderr, as an uncaught exception is
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, ValueError, OSError):
                pass
    os._exit(code)


def _stop_children() -> None:
    for child in list(_running):
        child.terminate()
    for child in list(_running):
        child.join()


atexit.register(_stop_children)
