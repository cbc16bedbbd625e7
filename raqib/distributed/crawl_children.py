"""The worker's crawl processes (``raqib.distributed.crawl_child``): started on demand, one per
crawl job running at once, kept between jobs and fed batch after batch over their pipes.

A process that dies (killed, crashed) fails the job it was crawling, as a crash always did: the
job's feeds stay due (their store transaction rolled back with the process) and the schedule
queues them again; the next job starts a fresh process. One that lived ``max_batches`` batches or
grew past ``max_rss`` is retired after its answer (Python returns little memory to the system,
and a parser's leak would otherwise last the worker's life), as is one whose job was cancelled
or timed out.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("raqib.worker")

REPLY_LIMIT = 64 * 2**20  # bytes in one answer line: a batch's per-feed reports


class CrawlFailed(RuntimeError):
    pass


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook giving the child SIGKILL when the worker dies (Linux prctl). The signal
    follows the thread that started the child: the worker's event loop thread, its main one."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def hook() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)

    return hook


@dataclass
class CrawlChild:
    process: asyncio.subprocess.Process
    batches: int = 0

    @property
    def alive(self) -> bool:
        return self.process.returncode is None


class CrawlChildren:
    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        *,
        max_batches: int,
        max_rss: int,
        timeout: float,
    ) -> None:
        self.command = list(command)
        self.env = dict(env)
        self.max_batches = max(1, max_batches)
        self.max_rss = max_rss
        self.timeout = timeout
        self._idle: list[CrawlChild] = []
        self.started = 0  # processes started in this worker's life

    async def prestart(self) -> None:
        """Start a process now, to wait idle for the first crawl job: its start (imports, Scrapy,
        its parse process) runs beside the worker's own rather than in the first job's time."""
        self._idle.append(await self._spawn())

    async def crawl(self, feeds: list[str]) -> tuple[dict[str, Any], int, int]:
        """Crawl one batch in an idle process (or a new one): its answer, the process's pid and
        which of its batches this was."""
        child = await self._take()
        keep = False
        try:
            outcome = await self._ask(child, feeds)
            child.batches += 1
            rss = int(outcome.get("rss", 0))
            keep = child.batches < self.max_batches and (self.max_rss <= 0 or rss <= self.max_rss)
            if not keep:
                log.info(
                    "crawl process %d retired after %d batch(es), %d MiB resident",
                    child.process.pid,
                    child.batches,
                    rss // 2**20,
                )
            return outcome, child.process.pid, child.batches
        finally:
            if keep:
                self._idle.append(child)
            else:
                await self._retire(child)

    async def _take(self) -> CrawlChild:
        while self._idle:
            child = self._idle.pop()
            if child.alive:
                return child
            await child.process.wait()  # died while idle: nothing of a job was lost
            log.warning(
                "idle crawl process %d had exited (%s): starting another", child.process.pid, child.process.returncode
            )
        return await self._spawn()

    async def _spawn(self) -> CrawlChild:
        process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self.env,
            limit=REPLY_LIMIT,
            preexec_fn=_die_with_parent(),
        )
        self.started += 1
        return CrawlChild(process)

    async def _ask(self, child: CrawlChild, feeds: list[str]) -> dict[str, Any]:
        process = child.process
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(feeds, ensure_ascii=False).encode() + b"\n")
            await process.stdin.drain()
            line = await asyncio.wait_for(process.stdout.readline(), self.timeout)
        except TimeoutError:
            process.kill()
            raise CrawlFailed(f"the crawl of {len(feeds)} feed(s) took more than {self.timeout:.0f} s") from None
        except asyncio.CancelledError:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)  # it finishes in-flight requests, stores, exits
                await process.wait()
            raise
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if not line:
            status = await process.wait()
            raise CrawlFailed(f"the crawl process exited with status {status}")
        try:
            outcome: dict[str, Any] = json.loads(line)
        except ValueError:
            process.kill()
            raise CrawlFailed("the crawl process answered something unreadable") from None
        return outcome

    async def _retire(self, child: CrawlChild) -> None:
        """End of input: the process exits on its own; one that does not is killed."""
        process = child.process
        if process.returncode is None and process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._retire(child) for child in idle))
