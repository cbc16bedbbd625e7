"""The crawler's door to storage: a few calls, each its own transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from crawler.items import ArticleItem, FeedDone
from crawler.policy import next_due
from crawler.report import FeedReport
from storage import repo
from storage.db import Database
from storage.desk import StoryDesk
from storage.outbox import OutboxWriter
from storage.repo import FetchResult, FetchStatus
from stories.types import ArticleFate

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SUCCESS = {FetchStatus.OK, FetchStatus.NOT_MODIFIED, FetchStatus.UNCHANGED}


class CrawlStore:
    def __init__(self, database: Database, desk: StoryDesk, outbox: OutboxWriter | None = None) -> None:
        self.database = database
        self.desk = desk
        self.outbox = outbox

    def known_content_hashes(self, identities: list[str]) -> dict[str, str]:
        with self.database.session() as session:
            return repo.known_content_hashes(session, identities)

    def finish_feed(self, done: FeedDone, articles: list[ArticleItem]) -> FeedReport:
        """Store the feed's articles and its fetch record together; on a storage failure store
        only the failure, so the feed is fetched again next time and nothing is half-written."""
        try:
            with self.database.session() as session:
                fates: Counter[ArticleFate] = Counter()
                matched = 0
                # Feeds list the newest first and article pages arrive in any order; stories must
                # meet an event's first report first: oldest first, undated ones last.
                ordered = sorted(
                    articles, key=lambda item: (item.entry.published is None, item.entry.published or _EPOCH)
                )
                for item in ordered:
                    outcome = repo.save_article(
                        session, done.job.name, item.entry, item.analysis, desk=self.desk, outbox=self.outbox
                    )
                    fates[outcome.fate] += 1
                    if item.analysis.matched and outcome.fate is not ArticleFate.SEEN:
                        matched += 1
                article_errors = [item.article_error for item in articles if item.article_error]
                if article_errors and done.error is None:
                    done = replace(
                        done,
                        error=f"{len(article_errors)} article page(s) not used, first: {article_errors[0]}",
                    )
                result = self._fetch_result(done, fates, matched)
                repo.record_fetch(session, result)
        except Exception as failure:  # noqa: BLE001 - any storage failure is reported per feed
            failed = replace(
                done,
                status=FetchStatus.ERROR.value,
                error=f"storage failed: {type(failure).__name__}: {failure}",
                etag=None,
                last_modified=None,
                body_hash=None,
            )
            fates, matched = Counter(), 0
            result = self._fetch_result(failed, fates, matched)
            with self.database.session() as session:
                repo.record_fetch(session, result)
        return FeedReport(
            feed=result.feed,
            url=result.url,
            status=result.status.value,
            http_status=result.http_status,
            entries=result.entries,
            new=result.new,
            updated=result.updated,
            seen=result.seen,
            matched=result.matched,
            seconds=(result.finished_at - result.started_at).total_seconds(),
            error=result.error,
        )

    @staticmethod
    def _fetch_result(done: FeedDone, fates: Counter[ArticleFate], matched: int) -> FetchResult:
        status = FetchStatus(done.status)
        if status in _SUCCESS:
            failures = 0
        elif status is FetchStatus.DEFERRED:
            failures = done.job.consecutive_failures
        else:
            failures = done.job.consecutive_failures + 1
        due = next_due(done.started_at, done.job.interval, failures)
        if done.retry_after_until is not None:
            due = max(due, done.retry_after_until)
        return FetchResult(
            feed=done.job.name,
            url=done.url,
            started_at=done.started_at,
            finished_at=done.finished_at,
            status=status,
            http_status=done.http_status,
            entries=done.entries,
            new=fates[ArticleFate.NEW],
            updated=fates[ArticleFate.UPDATED],
            seen=fates[ArticleFate.SEEN] + done.skipped_seen,
            matched=matched,
            error=done.error,
            etag=done.etag,
            last_modified=done.last_modified,
            body_hash=done.body_hash,
            retry_after_until=done.retry_after_until,
            next_due_at=due,
        )
