"""SQLite writers queue on one lock beside the database file (storage.write_lock): a writer in
another process or thread holds it while it writes; the next one goes in once it commits, and
readers never wait for it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

from storage.db import Database

INSERT = (
    "INSERT INTO feeds (name, url, language, consecutive_failures, created_at)"
    " VALUES (:name, 'http://feed', 'ar', 0, '2025-01-01')"
)
HOLDER = f"""
import sys, time
from pathlib import Path
from sqlalchemy import text
from storage.db import Database
db = Database(sys.argv[1])
with db.session() as session:
    session.execute(text({INSERT!r}), {{"name": "قناة الأخبار"}})
    Path(sys.argv[2]).write_text("holding")
    while not Path(sys.argv[3]).exists():
        time.sleep(0.01)
db.dispose()
"""


def feed_names(db: Database) -> list[str]:
    with db.read_session() as session:
        return list(session.execute(text("SELECT name FROM feeds ORDER BY id")).scalars())


def test_a_writer_waits_for_another_process_to_commit_and_readers_do_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'raqib.db'}"
    db = Database(url)
    db.upgrade()
    holding, release = tmp_path / "holding", tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, str(holding), str(release)], cwd=Path.cwd())
    try:
        deadline = time.monotonic() + 30
        while not holding.exists():
            assert holder.poll() is None and time.monotonic() < deadline, "the other writer did not start"
            time.sleep(0.01)
        assert feed_names(db) == []  # a reader goes on, and does not see the uncommitted row

        entered = threading.Event()
        seen: list[list[str]] = []

        def write() -> None:
            with db.session() as session:
                entered.set()
                seen.append(list(session.execute(text("SELECT name FROM feeds")).scalars()))
                session.execute(text(INSERT), {"name": "Wire"})

        writer = threading.Thread(target=write)
        writer.start()
        assert not entered.wait(0.3), "a second writer went in while the other process held the lock"
        release.write_text("go")
        writer.join(30)
        assert holder.wait(30) == 0
    finally:
        release.write_text("go")
        holder.wait(30)
    assert seen == [["قناة الأخبار"]]  # it went in after the other's commit, and saw it
    assert feed_names(db) == ["قناة الأخبار", "Wire"]
    assert (tmp_path / "raqib.db.write.lock").exists()
    db.dispose()


def test_a_preferred_writer_goes_before_ordinary_ones_and_a_long_store_lets_it_in(tmp_path: Path) -> None:
    # The decide process prefers its writes (storage.write_lock.prefer_this_process): the crawl's
    # writer, in the middle of a long run of stores, commits what it has and lets it in, and no
    # other ordinary writer goes before it.
    from ingest.writer import Writer
    from storage.write_lock import WriteLock

    url = f"sqlite:///{tmp_path / 'raqib.db'}"
    crawl = Database(url)
    crawl.upgrade()
    stores: list[float] = []

    def store(connection: object) -> None:
        time.sleep(0.05)  # one feed's store
        stores.append(time.monotonic())

    writer = Writer(crawl, linger=0.0, gather=0.0, max_seconds=30.0)
    decide = WriteLock(tmp_path / "raqib.db", timeout=30, preferred=True)
    other = WriteLock(tmp_path / "raqib.db", timeout=30, preferred=False)
    order: list[str] = []
    try:
        futures = [writer.submit(store) for _ in range(60)]  # 3 s of stores, in one transaction alone
        while not stores:
            time.sleep(0.005)
        assert not other.wanted()
        waiting = threading.Event()

        def ordinary() -> None:
            waiting.wait(10)
            time.sleep(0.05)  # after the preferred writer began waiting
            with other.held():
                order.append("ordinary")

        late = threading.Thread(target=ordinary)
        late.start()
        started = time.monotonic()
        waiting.set()
        with decide.held():
            took = time.monotonic() - started
            order.append("preferred")
            left = sum(not future.done() for future in futures)
        late.join(10)
        for future in futures:
            future.result(timeout=30)
    finally:
        writer.close()
        crawl.dispose()
    assert took < 1.0, f"the preferred writer waited {took:.2f} s for the crawl's run of stores"
    assert left > 20  # it went in between the stores, not after them
    assert order == ["preferred", "ordinary"]
    assert not decide.wanted()
