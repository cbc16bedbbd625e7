"""A crawl's child processes (ingest.processes): each a fresh interpreter running one function with
the pipes it was given, reporting how it ended as ``multiprocessing`` does, stopped when its parent
exits, and started without the fork server and resource tracker ``multiprocessing`` would add."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from multiprocessing.connection import Connection, Pipe, wait
from pathlib import Path

import pytest

from ingest.processes import ChildProcess


def echo_pid(connection: Connection, greeting: str) -> None:
    connection.send((os.getpid(), connection.recv(), greeting))


def exit_with(status: int) -> None:
    raise SystemExit(status)


def fail(message: str) -> None:
    raise ValueError(message)


def wait_forever() -> None:
    time.sleep(3600)


def test_a_child_runs_its_function_in_another_process_over_the_pipe_it_was_given() -> None:
    parent, child = Pipe()
    process = ChildProcess(echo_pid, (child, "مرحبا"))
    process.start()
    child.close()
    parent.send("hello")
    assert parent.poll(60)
    pid, received, greeting = parent.recv()
    assert (pid, received, greeting) == (process.pid, "hello", "مرحبا") and pid != os.getpid()
    process.join(60)
    assert process.exitcode == 0 and not process.is_alive()


def test_a_child_says_how_it_ended(capfd: pytest.CaptureFixture[str]) -> None:
    stopped = ChildProcess(exit_with, (3,))
    failed = ChildProcess(fail, ("عطل في التحليل",))
    killed = ChildProcess(wait_forever)
    for process in (stopped, failed, killed):
        process.start()
    stopped.join(60)
    failed.join(60)
    assert stopped.exitcode == 3
    assert failed.exitcode == 1
    assert "ValueError: عطل في التحليل" in capfd.readouterr().err
    assert killed.is_alive() and killed.exitcode is None
    assert wait([killed.sentinel], 0.1) == []  # its sentinel waits while it runs
    killed.kill()
    assert wait([killed.sentinel], 60) == [killed.sentinel]
    killed.join(60)
    assert killed.exitcode == -signal.SIGKILL


PROBE = """
import sys, time
from multiprocessing import resource_tracker
from ingest.workers import WorkerPool
from tests.test_processes import wait_forever
from ingest.processes import ChildProcess
with WorkerPool(1) as pool:
    assert pool.submit("parse", 60, len, "abc").result() == 3
    print(pool.pids()[0], resource_tracker._resource_tracker._pid is None, flush=True)
    lingering = ChildProcess(wait_forever)
    lingering.start()
    print(lingering.pid, flush=True)
"""


def test_a_worker_pool_starts_only_its_workers_and_they_end_with_their_parent() -> None:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, cwd=root, check=False
    )
    assert done.returncode == 0, done.stderr
    worker, no_tracker, lingering = done.stdout.split()
    assert no_tracker == "True", "multiprocessing's resource tracker was started"
    # The parent has exited: its worker is gone, and so is the child it left running.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in (worker, lingering)):
        time.sleep(0.05)
    assert not Path(f"/proc/{worker}").exists() and not Path(f"/proc/{lingering}").exists()
