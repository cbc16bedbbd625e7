"""A crawl of unchanged feeds costs about a process start: it loads neither SQLAlchemy's ORM
(~140 ms and ~29 MiB: the crawl writes with Core statements on ``storage.tables``) nor the
PostgreSQL dialect on a SQLite database (~40 ms). Checked on the real ``raqib crawl``, with
Python's own import log (``PYTHONPROFILEIMPORTTIME``) of its process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from support.crawl import crawl_json, write_config

from raqib.feedserver import FeedServer

_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", re.MULTILINE)
HEAVY = ("sqlalchemy.orm", "sqlalchemy.dialects.postgresql")


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_a_crawl_of_unchanged_feeds_loads_no_orm_and_no_postgresql_dialect(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    config = write_config(
        tmp_path,
        [
            {"name": "English RSS", "url": feed_server.url("rss_en.xml"), "language": "en"},
            {"name": "Arabic UTF-8", "url": feed_server.url("ar_utf8.xml"), "language": "ar"},
        ],
    )
    first = crawl_json(config)
    assert first.returncode == 0, first.stderr
    assert first.feed("Arabic UTF-8")["new"] > 0

    second = crawl_json(config, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert second.returncode == 0, second.stderr
    assert [second.feed(name)["status"] for name in ("English RSS", "Arabic UTF-8")] == ["not_modified"] * 2
    imported = set(_IMPORTED.findall(second.stderr))
    assert {"sqlalchemy.engine", "sqlalchemy.dialects.sqlite", "storage.feed_repo", "scrapy"} <= imported
    assert _heavy(imported) == []


def test_the_pipeline_s_storage_modules_import_without_the_orm() -> None:
    # What a crawl's process and its writer import (a new article is stored with Core too): a
    # module-level ORM import in any of them would put the ORM back into every crawl.
    modules = [
        "raqib.cli",
        "raqib.compose",
        "ingest.crawl",
        "ingest.handler",
        "ingest.store",
        "ingest.writer",
        "storage.db",
        "storage.repo",
        "storage.feed_repo",
        "storage.article_writes",
        "storage.bands",
        "storage.watch_locks",
        "storage.search_index",
        "storage.schema",
        "storage.export",
    ]
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert set(modules) <= loaded
    assert _heavy(loaded) == []
