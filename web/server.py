"""Serving the web application with uvicorn, alone (`raqib serve`) or beside the scheduler."""

from __future__ import annotations

import ipaddress
import threading

import uvicorn

from config.schema import RaqibConfig
from storage.db import Database
from web.app import allowed_host_names, create_app


class TokenRequired(RuntimeError):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(config: RaqibConfig, database: Database, host: str, port: int, token: str | None) -> uvicorn.Server:
    """Loopback needs no token but checks the Host header; any other address needs a token
    (every page and API call checks it)."""
    if not is_loopback(host) and not token:
        raise TokenRequired(
            f"serving on {host} exposes Raqib beyond this machine: set RAQIB_WEB_TOKEN to a long random value"
        )
    loopback = is_loopback(host)
    allowed = allowed_host_names([host], config.web.public_url()) if loopback else None
    app = create_app(config, database, token=token if not loopback or token else None, allowed_hosts=allowed)
    settings = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(settings)


def serve_in_background(server: uvicorn.Server) -> threading.Thread:
    """For `raqib run`: the web page in a thread beside the scheduler (signals stay with it)."""
    # uvicorn installs signal handlers only in the main thread: the scheduler keeps SIGTERM.
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    return thread
