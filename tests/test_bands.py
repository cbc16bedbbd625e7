"""The persisted band index (storage.bands) on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage import bands
from storage.db import Database
from storage.models import Article, ArticleBand, Feed
from stories.fingerprint import NEAR_DUPLICATE_THRESHOLD, MinHasher, body_fingerprint
from stories.text import normalise, tokenise

T0 = datetime(2025, 2, 4, 10, 0, tzinfo=UTC)

ORIGINAL = (
    "North Korean troops have been deployed to the front line in Russia's Kursk region, South "
    "Korea's intelligence agency said on Wednesday. The National Intelligence Service told "
    "lawmakers in Seoul that about 12,000 soldiers, including special forces officers, had been "
    "moved to Russia since early October. Some of the units had already taken part in combat "
    "alongside Russian marines and paratroopers and had suffered casualties. Pyongyang and "
    "Moscow have denied the deployment. Analysts say North Korea is likely to receive money, oil "
    "and military technology in return for the soldiers."
)
# Another outlet's copy: a prefix, a figure changed, a closing sentence added.
WIRE_COPY = (
    "Here's what you need to know: "
    + ORIGINAL.replace("about 12,000", "more than 11,000")
    + " The Kremlin did not immediately respond to a request for comment."
)
UNRELATED = (
    "The central bank held its main interest rate at 4.5 percent on Thursday, saying inflation "
    "had eased but remained above its target. Policymakers voted seven to two to keep rates on "
    "hold, with two members favouring a cut."
)


@pytest.fixture(scope="module")
def hasher() -> MinHasher:
    return MinHasher()


def store(db: Database, hasher: MinHasher, identity: str, body: str, *, index: bool = True) -> int:
    """Insert an article with its fingerprint and signature, and index its bands."""
    signature = hasher.signature(tokenise(body))
    with db.session() as session:
        feed = session.scalars(select(Feed).where(Feed.name == "Wire")).one_or_none()
        if feed is None:
            feed = Feed(name="Wire", url="https://wire.example/rss", language="en", consecutive_failures=0)
            session.add(feed)
            session.flush()
        article = Article(
            feed_id=feed.id,
            identity=identity,
            title=identity,
            summary="",
            text=body,
            language="en",
            fetched_at=T0,
            event_at=T0,
            updated_at=T0,
            content_hash=identity,
            revisions=0,
            fingerprint=body_fingerprint(normalise(body)),
            signature=signature,
        )
        session.add(article)
        session.flush()
        if index:
            bands.add_bands(session, article.id, hasher.band_keys(signature))
        return article.id


def lookup(db: Database, hasher: MinHasher, body: str, *, exclude: int | None = None) -> list[tuple[int, float]]:
    signature = hasher.signature(tokenise(body))
    with db.session() as session:
        return bands.near_duplicates(
            session,
            hasher.band_keys(signature),
            signature,
            hasher,
            threshold=NEAR_DUPLICATE_THRESHOLD,
            exclude=exclude,
        )


def band_rows(db: Database, article_id: int) -> int:
    with db.session() as session:
        count = session.scalar(select(func.count()).where(ArticleBand.article_id == article_id))
        return count or 0


def test_wire_copy_finds_the_original_not_the_unrelated(database: Database, hasher: MinHasher) -> None:
    original = store(database, hasher, "u:original", ORIGINAL)
    unrelated = store(database, hasher, "u:unrelated", UNRELATED)
    copy = store(database, hasher, "u:copy", WIRE_COPY)
    assert band_rows(database, original) == 32

    found = lookup(database, hasher, WIRE_COPY, exclude=copy)
    assert [article_id for article_id, _ in found] == [original]
    assert found[0][1] >= NEAR_DUPLICATE_THRESHOLD
    assert unrelated not in dict(found)

    # Without exclude the copy finds itself first (similarity 1.0), then the original.
    found = lookup(database, hasher, WIRE_COPY)
    assert found[0] == (copy, 1.0)
    assert [article_id for article_id, _ in found] == [copy, original]
    assert lookup(database, hasher, UNRELATED, exclude=unrelated) == []


def test_remove_bands_takes_an_article_out_of_the_index(database: Database, hasher: MinHasher) -> None:
    original = store(database, hasher, "u:original", ORIGINAL)
    store(database, hasher, "u:unrelated", UNRELATED)
    assert [article_id for article_id, _ in lookup(database, hasher, WIRE_COPY)] == [original]

    with database.session() as session:
        bands.remove_bands(session, original)
    assert band_rows(database, original) == 0
    assert lookup(database, hasher, WIRE_COPY) == []

    # A revised article is re-indexed under its new keys; adding the same keys twice is harmless.
    signature = hasher.signature(tokenise(WIRE_COPY))
    with database.session() as session:
        session.get_one(Article, original).signature = signature
        bands.add_bands(session, original, hasher.band_keys(signature))
        bands.add_bands(session, original, hasher.band_keys(signature))
    assert band_rows(database, original) == 32
    assert lookup(database, hasher, WIRE_COPY) == [(original, 1.0)]


def test_index_survives_a_restart(database: Database, hasher: MinHasher) -> None:
    original = store(database, hasher, "u:original", ORIGINAL)
    store(database, hasher, "u:unrelated", UNRELATED)
    database.dispose()

    restarted = Database(database.url)
    try:
        found = lookup(restarted, hasher, WIRE_COPY)
    finally:
        restarted.dispose()
    assert [article_id for article_id, _ in found] == [original]
    assert found[0][1] >= NEAR_DUPLICATE_THRESHOLD


def test_candidates_are_capped_but_the_copy_is_still_found(database: Database, hasher: MinHasher) -> None:
    # A hot band: many stored articles share one band key with the query (boilerplate), and the
    # real copy shares the query's other bands. The lookup reads a bounded number of candidates.
    original = store(database, hasher, "u:original", ORIGINAL)
    query = hasher.signature(tokenise(WIRE_COPY))
    keys = hasher.band_keys(query)
    hot_key = keys[0]
    filler = [
        store(database, hasher, f"u:filler-{n}", f"{UNRELATED} Story number {n}.", index=False) for n in range(40)
    ]
    with database.session() as session:
        for article_id in filler:
            bands.add_bands(session, article_id, [hot_key])
    with database.session() as session:
        share = bands._share(len(set(keys)))
        members = bands._band_members(session, dict.fromkeys(set(keys), share + 1))
        found = bands.near_duplicates(session, keys, query, hasher, threshold=NEAR_DUPLICATE_THRESHOLD)
    assert len(members[hot_key]) == share + 1 <= bands.MAX_CANDIDATES // 32 + 1, "the hot band is read in part"
    assert [article_id for article_id, _ in found] == [original]


def test_empty_and_unsigned_articles_are_never_matched(database: Database, hasher: MinHasher) -> None:
    empty = hasher.signature([])
    assert hasher.band_keys(empty) == []
    with database.session() as session:
        bands.add_bands(session, 1, [])  # nothing to index, nothing written
        assert bands.near_duplicates(session, [], empty, hasher, threshold=NEAR_DUPLICATE_THRESHOLD) == []


def test_a_batch_lookup_answers_each_text_as_its_own_lookup(database: Database, hasher: MinHasher) -> None:
    # A decide batch looks up all its reports at once: each one is left out of its own answer and
    # finds what a lookup of its own finds, hot bands shared between them included.
    original = store(database, hasher, "u:original", ORIGINAL)
    store(database, hasher, "u:unrelated", UNRELATED)
    copy = store(database, hasher, "u:copy", WIRE_COPY)
    arabic = "نشرت كوريا الشمالية آلاف الجنود في منطقة كورسك الروسية بحسب الاستخبارات الكورية الجنوبية " * 3
    arabic_copy = store(database, hasher, "u:arabic-copy", arabic + " وقال المتحدث إن الوضع متوتر.")
    arabic_id = store(database, hasher, "u:arabic", arabic)
    filler = [store(database, hasher, f"u:filler-{n}", f"{UNRELATED} Story {n}.", index=False) for n in range(40)]
    hot_key = hasher.band_keys(hasher.signature(tokenise(WIRE_COPY)))[0]
    with database.session() as session:
        for article_id in filler:
            bands.add_bands(session, article_id, [hot_key])
    texts = {original: ORIGINAL, copy: WIRE_COPY, arabic_id: arabic}
    lookups = []
    for article_id, body in texts.items():
        signature = hasher.signature(tokenise(body))
        lookups.append(bands.NearLookup(article_id, hasher.band_keys(signature), signature))
    with database.session() as session:
        batch = bands.near_duplicates_of_many(session, lookups, hasher, threshold=NEAR_DUPLICATE_THRESHOLD)
    one_by_one = {article_id: lookup(database, hasher, body, exclude=article_id) for article_id, body in texts.items()}
    assert batch == one_by_one
    assert [a for a, _ in batch[copy]] == [original] and [a for a, _ in batch[original]] == [copy]
    assert [a for a, _ in batch[arabic_id]] == [arabic_copy]
