"""Ctrl-C or SIGTERM while ``raqib run`` is still starting.

Starting takes a moment (imports, the run lock, migrating the database, the web page); a signal
in that time would kill the process half-way (a traceback for Ctrl-C, death for SIGTERM) instead
of stopping it cleanly. ``EarlyStop`` is installed first and only notes the signal; the scheduler,
once it has its own handlers, stops at once if one was noted, before any crawl starts."""

from __future__ import annotations

import signal
from types import FrameType


class EarlyStop:
    def __init__(self) -> None:
        self.signal_name: str | None = None

    def install(self) -> EarlyStop:
        signal.signal(signal.SIGINT, self._note)
        signal.signal(signal.SIGTERM, self._note)
        return self

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name
