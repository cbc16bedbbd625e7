"""The web application: server-rendered pages, a JSON API and Atom/OPML feeds out.

Routers live in their own modules and reach the database and the config through
``request.app.state.database`` and ``request.app.state.config``; this module only assembles them
and adds what every response needs: security headers (on errors too, a 500 included), a check of
the ``Host`` header when served on loopback (so a DNS-rebinding page cannot read the API) and,
when exposed beyond loopback, a token.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Collection
from urllib.parse import urlsplit

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
    return path.startswith(("/api/", "/feeds/")) or path in ("/feeds.opml", "/openapi.json", "/metrics")


def _host_name(value: str) -> str | None:
    """The host of a ``Host`` header or a URL's netloc, lower case, without port or brackets."""
    try:
        host = urlsplit("//" + value.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def allowed_host_names(bound: Collection[str], public_url: str) -> frozenset[str]:
    """The names a browser may use for a loopback server: the loopback names, the bound
    address(es) and the host of the public URL (a reverse proxy forwarding its Host)."""
    names = {"localhost", "127.0.0.1", "::1"}
    names.update(host.strip("[]").lower() for host in bound)
    public = _host_name(urlsplit(public_url).netloc)
    if public:
        names.add(public)
    return frozenset(names)


def _token_ok(request: Request, token: str) -> bool:
    supplied = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    supplied = supplied or request.cookies.get(TOKEN_COOKIE, "") or request.query_params.get("token", "")
    return bool(supplied) and hmac.compare_digest(supplied.encode(), token.encode())


def can_reveal(request: Request) -> bool:
    """Whether this request may see secrets (full feed addresses): it asks (``?reveal=1``) and it
    holds the token, or no token is configured (loopback, where the Host check keeps other sites'
    pages out)."""
    if request.query_params.get("reveal") not in ("1", "true", "yes"):
        return False
    token: str | None = request.app.state.token
    return token is None or _token_ok(request, token)


def _with_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def create_app(
    config: RaqibConfig,
    database: Database,
    *,
    token: str | None = None,
    allowed_hosts: Collection[str] | None = None,
) -> FastAPI:
    """``token``: required on every page and API call (bearer header, cookie, or ``?token=``
    once, which sets the cookie); None when serving on loopback only. ``allowed_hosts``: the
    host names a request's ``Host`` header may carry (see ``allowed_host_names``); None accepts
    any (served beyond loopback, where the token keeps strangers out)."""
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
    hosts = frozenset(host.lower() for host in allowed_hosts) if allowed_hosts is not None else None
    secure_cookie = config.web.public_url().lower().startswith("https:")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if hosts is not None and _host_name(request.headers.get("host", "")) not in hosts:
            # Another site's page whose name now resolves to 127.0.0.1 (DNS rebinding) is same-origin
            # with it in the browser's eyes; only the Host header tells the two apart.
            response: Response = PlainTextResponse("421 Misdirected Request: unknown host name", status_code=421)
        elif token is not None and not _token_ok(request, token):
            response = PlainTextResponse("a token is required (RAQIB_WEB_TOKEN)", status_code=401)
        elif token is not None and request.query_params.get("token") and not _machine_read(request.url.path):
            # Trade the token in the address for a cookie, and drop it from the address bar.
            clean = request.url.remove_query_params("token")
            response = RedirectResponse(str(clean), status_code=303)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookie)
        else:
            response = await call_next(request)
        return _with_security_headers(response)

    async def server_error(request: Request, error: Exception) -> Response:
        # Starlette answers an unhandled error outside every middleware: the headers go on here.
        return _with_security_headers(PlainTextResponse("500 Internal Server Error", status_code=500))

    app.add_exception_handler(Exception, server_error)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from web import api, atom, metrics, opml, pages

    app.state.metrics = metrics.registry_for(database, config)

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(atom.router)
    app.include_router(opml.router)
    app.include_router(metrics.router)
    return app
