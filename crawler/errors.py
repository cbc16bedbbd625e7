"""Download failures in words a user can act on."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawler.middlewares import RefusedRequest


def describe_failure(failure: Failure) -> str:
    error = failure.value
    if isinstance(error, RefusedRequest):
        return f"refused: {error}"
    if isinstance(error, HttpError):
        response = error.response
        location = response.headers.get("Location")
        if location is not None and 300 <= response.status < 400:
            target = location.decode("latin-1")
            return f"HTTP {response.status} redirect to {target!r} refused: only http and https are followed"
        return f"HTTP {response.status}"
    if isinstance(error, DownloadCancelledError):
        # Scrapy cancels a download only when the body passes DOWNLOAD_MAXSIZE.
        return f"body over the size cap: {error}"
    if isinstance(error, DownloadTimeoutError | TimeoutError):
        return f"timed out: {error}"
    if isinstance(error, CannotResolveHostError | DNSLookupError):
        return f"host name not found: {error}"
    if isinstance(error, DownloadConnectionRefusedError):
        return "connection refused"
    if isinstance(error, UnsupportedURLSchemeError):
        return f"refused: {error}"
    connection_errors = (
        ResponseDataLossError,
        DownloadFailedError,
        ConnectError,
        ConnectionLost,
        ResponseFailed,
    )
    if isinstance(error, connection_errors):
        return f"connection failed: {error}"
    return f"{type(error).__name__}: {error}"
