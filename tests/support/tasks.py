"""Tiny task functions for worker-pool tests: a worker imports this module to run them, so it
holds nothing else (the pool's memory cap is measured from what the worker holds at start)."""

from __future__ import annotations

import time


def allocate(mib: int) -> int:
    return len(bytearray(mib * 2**20))


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
