"""The web page against hostile addresses, faults and other sites: served for real on loopback.

What is guarded: numbers too large for a row id or a page answer 4xx, not 500; every error
response (404, 421, 422, 500) carries the security headers; a DNS-rebinding page (another host
name pointing at 127.0.0.1) cannot read the API; secrets in feed addresses stay masked unless the
token holder asks; the token cookie is Secure behind an https public address.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from support.crawl import raqib, write_config
from support.web import running_web

from config.loader import BUNDLED_DEFAULT, load_config
from config.schema import FeedConfig, RaqibConfig, WebSettings
from storage import feed_repo
from storage.db import Database
from web.app import CONTENT_SECURITY_POLICY
from web.redact import mask_url

HUGE_PAGE = "9223372036854775807"
HUGE_ID = "99999999999999999999999"
SECRET_FEEDS = [
    ("Private wire", "https://reader:hunter2@wire.example/rss"),
    ("Search API", "https://api.example/search.rss?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83&apikey=s3cr3tKEY&lang=ar"),
    ("Signed", "https://cdn.example/feed.xml?X-Amz-Signature=abcdef0123&access_token=tok123&page=2"),
    ("Public", "https://public.example/rss?format=atom"),
]
SECRETS = ["hunter2", "reader:", "s3cr3tKEY", "abcdef0123", "tok123"]

Serve = Callable[..., str]


@dataclass
class Server:
    url: str
    port: int


def _config(tmp_path: Path, base_url: str | None = None) -> RaqibConfig:
    config = load_config(BUNDLED_DEFAULT, data_dir=tmp_path)
    feeds = [FeedConfig(name=name, url=url) for name, url in SECRET_FEEDS]
    return config.model_copy(update={"web": WebSettings(base_url=base_url), "feeds": feeds})


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    numbers = itertools.count()
    with ExitStack() as stack:

        def start(config: RaqibConfig, *, host: str = "127.0.0.1", token: str | None = None) -> Server:
            database = Database(f"sqlite:///{tmp_path / f'web{next(numbers)}.db'}")
            stack.callback(database.dispose)
            database.upgrade()
            with database.session() as session:
                feed_repo.sync_feeds(session, config.feeds)
            url = stack.enter_context(running_web(config, database, host=host, token=token))
            return Server(url, int(url.rsplit(":", 1)[1]))

        yield start


def _has_security_headers(response: httpx.Response) -> bool:
    return (
        response.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY
        and response.headers.get("x-content-type-options") == "nosniff"
    )


def test_numbers_too_large_for_an_id_or_a_page_answer_4xx_with_the_headers(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    site = serve(_config(tmp_path))
    paths = [
        f"/stories?page={HUGE_PAGE}",
        f"/stories/{HUGE_ID}",
        f"/articles/{HUGE_ID}",
        f"/stories/-{HUGE_ID}",
        f"/feeds/story/{HUGE_ID}.atom",
        f"/api/stories?page={HUGE_PAGE}",
        f"/api/stories/{HUGE_ID}",
        f"/api/articles/{HUGE_ID}",
        f"/api/articles?page={HUGE_PAGE}",
        f"/api/alerts?page={HUGE_PAGE}",
        f"/api/search?q=Kursk&page={HUGE_PAGE}",
        f"/search?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83&page={HUGE_PAGE}",
        f"/alerts?page={HUGE_PAGE}",
        "/stories?page=" + "9" * 5000,
    ]
    for path in paths:
        response = httpx.get(site.url + path, timeout=10)
        assert response.status_code < 500, (path, response.status_code, response.text[:300])
        assert _has_security_headers(response), path
    assert httpx.get(f"{site.url}/stories/{HUGE_ID}").status_code == 404
    assert httpx.get(f"{site.url}/api/stories/{HUGE_ID}").status_code == 404
    assert httpx.get(f"{site.url}/feeds/story/{HUGE_ID}.atom").status_code == 404
    assert httpx.get(f"{site.url}/api/stories?page={HUGE_PAGE}").status_code == 422
    html = httpx.get(f"{site.url}/stories?page={HUGE_PAGE}").text
    assert 'id="story-count" data-total="0"' in html


def test_every_error_response_carries_the_security_headers(serve: Callable[..., Server], tmp_path: Path) -> None:
    site = serve(_config(tmp_path))
    for path, status in [("/no-such-page", 404), ("/api/stories?per_page=0", 422), ("/stories/1", 404)]:
        response = httpx.get(site.url + path)
        assert response.status_code == status and _has_security_headers(response), path
    # A bad day in production: a table gone under the running server.
    database = Database(f"sqlite:///{tmp_path / 'web0.db'}")
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE stories"))
    database.dispose()
    for path in ["/stories", "/api/stories"]:
        broken = httpx.get(site.url + path)
        assert broken.status_code == 500, path
        assert _has_security_headers(broken), path
        assert "stories" not in broken.text and "Traceback" not in broken.text, "no internals shown"


def test_loopback_page_refuses_other_host_names_against_dns_rebinding(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    site = serve(_config(tmp_path, base_url="https://raqib.example.org/news"))
    for host in ["attacker.example", f"attacker.example:{site.port}", "127.0.0.1.attacker.example", ""]:
        refused = httpx.get(site.url + "/api/feeds", headers={"Host": host})
        assert refused.status_code == 421, host
        assert _has_security_headers(refused), host
    for host in [f"127.0.0.1:{site.port}", f"localhost:{site.port}", "raqib.example.org", "LOCALHOST"]:
        assert httpx.get(site.url + "/api/feeds", headers={"Host": host}).status_code == 200, host


def test_loopback_page_accepts_the_ipv6_loopback_name(serve: Callable[..., Server], tmp_path: Path) -> None:
    site = serve(_config(tmp_path))
    assert httpx.get(site.url + "/", headers={"Host": f"[::1]:{site.port}"}).status_code == 200
    assert httpx.get(site.url + "/", headers={"Host": "[::2]"}).status_code == 421


def test_secrets_in_feed_addresses_are_masked_on_pages_api_and_opml(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    site = serve(_config(tmp_path))
    for path in ["/feeds", "/api/feeds", "/feeds.opml"]:
        body = httpx.get(site.url + path).text
        for secret in SECRETS:
            assert secret not in body, (path, secret)
        assert "wire.example/rss" in body and "api.example/search.rss" in body, path
        assert "public.example/rss?format=atom" in body, "an address without a secret is shown whole"
    feeds = {feed["name"]: feed["url"] for feed in httpx.get(site.url + "/api/feeds").json()}
    assert feeds["Private wire"] == "https://***@wire.example/rss"
    assert feeds["Search API"] == "https://api.example/search.rss?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83&apikey=***&lang=ar"
    assert "X-Amz-Signature=***" in feeds["Signed"] and "access_token=***" in feeds["Signed"]
    # On loopback without a token the local user may ask for the full addresses.
    revealed = {feed["name"]: feed["url"] for feed in httpx.get(site.url + "/api/feeds?reveal=1").json()}
    assert revealed["Private wire"] == SECRET_FEEDS[0][1]


def test_only_the_token_holder_may_reveal_feed_secrets(serve: Callable[..., Server], tmp_path: Path) -> None:
    token = "a-long-random-token-for-the-test-0123456789"
    site = serve(_config(tmp_path), host="0.0.0.0", token=token)
    assert httpx.get(site.url + "/api/feeds?reveal=1").status_code == 401
    holder = {"Authorization": f"Bearer {token}"}
    masked = httpx.get(site.url + "/api/feeds", headers=holder).text
    assert "hunter2" not in masked, "the token alone does not reveal: asking does"
    for path in ["/api/feeds?reveal=1", "/feeds?reveal=1", "/feeds.opml?reveal=1"]:
        body = httpx.get(site.url + path, headers=holder).text
        assert "hunter2" in body and "s3cr3tKEY" in body, path


def test_token_cookie_is_secure_when_the_public_address_is_https(serve: Callable[..., Server], tmp_path: Path) -> None:
    token = "another-long-random-token-0123456789abcdef"
    secure = serve(_config(tmp_path, base_url="https://raqib.example.org"), host="0.0.0.0", token=token)
    answer = httpx.get(f"{secure.url}/stories?token={token}")
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    plain = serve(_config(tmp_path), host="0.0.0.0", token=token)
    cookie = httpx.get(f"{plain.url}/stories?token={token}").headers["set-cookie"].lower()
    assert "; secure" not in cookie, "plain http keeps the cookie usable"


def test_mask_url_keeps_what_identifies_the_feed() -> None:
    assert mask_url("https://u:p@[2001:db8::1]:8443/rss") == "https://***@[2001:db8::1]:8443/rss"
    assert mask_url("https://x.example/rss?token=") == "https://x.example/rss?token=***"
    assert mask_url("https://x.example/rss?monitor=كورسك") == "https://x.example/rss?monitor=كورسك"
    assert mask_url("https://x.example/rss?Private-Token=1&client_secret=2&sig=3").count("***") == 3
    assert mask_url("http://[bad") == "***"


def test_feed_secrets_are_masked_in_the_cli_unless_revealed(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{"name": name, "url": url} for name, url in SECRET_FEEDS])
    for command in (["feeds", "export"], ["feeds", "list"], ["feeds", "list", "--json"]):
        shown = raqib(config, *command)
        assert shown.returncode == 0, shown.stderr
        assert "Private wire" in shown.stdout, command
        assert not any(secret in shown.stdout for secret in SECRETS), command
    listed = {feed["name"]: feed["url"] for feed in json.loads(raqib(config, "feeds", "list", "--json").stdout)}
    assert listed["Private wire"] == "https://***@wire.example/rss"
    revealed = raqib(config, "feeds", "export", "--reveal").stdout
    assert "reader:hunter2@wire.example" in revealed and "apikey=s3cr3tKEY" in revealed
