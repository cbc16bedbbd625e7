"""Scrapy's TLS modules, imported before its engine imports them, without their slow part."""

from __future__ import annotations

import inspect
import sys
from types import FrameType


def import_tls_modules() -> None:
    """Import Scrapy's TLS modules (its HTTP download handler needs them) with a stand-in for
    ``inspect.stack``. At import they build three deprecated class aliases, each asking
    ``inspect.stack()`` for its caller's module: that reads the source of every frame on the
    stack (60-100 ms of every crawl's start, a tenth of a cycle of unchanged feeds). The stand-in
    gives the same caller frames without reading any source."""
    if "scrapy.core.downloader.contextfactory" in sys.modules:
        return
    real_stack = inspect.stack

    def frames_only(context: int = 1) -> list[inspect.FrameInfo]:
        del context
        frames: list[inspect.FrameInfo] = []
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
            frame = frame.f_back
        return frames

    inspect.stack = frames_only
    try:
        import scrapy.core.downloader.contextfactory  # noqa: F401
        import scrapy.core.downloader.tls  # noqa: F401
    finally:
        inspect.stack = real_stack
