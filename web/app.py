"""The web application: server-rendered pages, a JSON API and Atom/OPML feeds out.

Routers live in their own modules and reach the database and the config through
``request.app.state.database`` and ``request.app.state.config``; this module only assembles them
and adds what every response needs: security headers and, when exposed beyond loopback, a token.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from config.schema import RaqibConfig
from storage.db import Database
from web.paths import STATIC

TOKEN_COOKIE = "raqib_token"
# No inline script or style anywhere; every asset is served by Raqib itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _machine_read(path: str) -> bool:
    """Feed readers and API clients keep no cookies: their ``?token=`` is accepted as it is."""
    return path.startswith(("/api/", "/feeds/")) or path in ("/feeds.opml", "/openapi.json")


def _token_ok(request: Request, token: str) -> bool:
    supplied = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    supplied = supplied or request.cookies.get(TOKEN_COOKIE, "") or request.query_params.get("token", "")
    return bool(supplied) and hmac.compare_digest(supplied.encode(), token.encode())


def create_app(config: RaqibConfig, database: Database, *, token: str | None = None) -> FastAPI:
    """``token``: required on every page and API call (bearer header, cookie, or ``?token=``
    once, which sets the cookie); None when serving on loopback only."""
    # No /docs or /redoc: they load scripts from a CDN. The OpenAPI document stays at /openapi.json.
    app = FastAPI(
        title="Raqib",
        description="Arabic and English news monitor: stories, articles, feeds, alerts",
        docs_url=None,
        redoc_url=None,
    )
    app.state.config = config
    app.state.database = database
    app.state.token = token

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if token is not None and not _token_ok(request, token):
            response: Response = PlainTextResponse("a token is required (RAQIB_WEB_TOKEN)", status_code=401)
        elif token is not None and request.query_params.get("token") and not _machine_read(request.url.path):
            # Trade the token in the address for a cookie, and drop it from the address bar.
            clean = request.url.remove_query_params("token")
            response = RedirectResponse(str(clean), status_code=303)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from web import api, atom, opml, pages

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(atom.router)
    app.include_router(opml.router)
    return app
