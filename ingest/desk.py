"""The story desk: for each stored article and watch, gather what the database knows (active
stories and their memories, exact and near duplicates through the indexes), ask ``stories.decide``
and persist its decision. The deciding is pure and lives in ``stories/``; the rows come and go
through ``storage`` (story_repo, bands). Times are event times (``at``): a story's window, first
and last seen follow when its reports' events happened, not when they were fetched.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ingest.desk_batch import Batch, Lookahead, StorySettings
from ingest.prepare import PreparedArticle, Preparer
from storage import bands, story_repo
from storage.models import Story, WatchMatch
from storage.story_repo import ArticleHead
from stories.categories import NO_CATEGORIES, Categoriser
from stories.concepts import Lexicon
from stories.decide import Decision, StoryCandidate, copy_needs_meaning, decide, in_span
from stories.features import MAX_ENCODED, ArticleFeatures, to_encode, with_vectors
from stories.fingerprint import NEAR_DUPLICATE_THRESHOLD, MinHasher
from stories.memory import StoryMemory
from stories.novelty import assess
from stories.semantic import SentenceEncoder
from stories.types import Entry, Language

__all__ = ["Lookahead", "PreparedArticle", "StoryDesk", "StorySettings"]

# Reports whose sentences are embedded in one call to the model, ahead of placing them: a call
# costs about a third per sentence of one per report, and a transaction cut short by its deadline
# (``ingest.decide``) has embedded at most this many reports it did not place (kept in the
# encoder's cache for the next transaction).
ENCODE_AHEAD = 8
# The most sentences embedded ahead of a batch (a quarter of the encoder's cache, so what is
# embedded ahead is still there when the batch is decided).
LOOK_AHEAD_TEXTS = 5_000


class StoryDesk:
    def __init__(
        self,
        lexicon: Lexicon,
        settings: StorySettings | None = None,
        hasher: MinHasher | None = None,
        encoder: SentenceEncoder | None = None,
        categorisers: Mapping[str, Categoriser] | None = None,
    ):
        self.lexicon = lexicon
        self.settings = settings or StorySettings()
        self.preparer = Preparer(lexicon, hasher)
        self.hasher = self.preparer.hasher
        self.encoder = encoder  # the multilingual sentence encoder (None: words and concepts only)
        self.categorisers = dict(categorisers or {})  # watch → its development categories
        # Parsed story memories, valid while the story's state_token is unchanged: parsing a
        # long story's state for every report was most of the cost of storing it.
        self._memories: dict[int, tuple[str, StoryMemory]] = {}
        # Stories whose memory changed since it was last written to their row (``save_states``).
        self._unsaved: dict[int, Story] = {}
        self._batch: Batch | None = None  # between ``begin`` and ``save_states``/``forget_unsaved``

    # -- per article ------------------------------------------------------------------------

    def prepare(self, entry: Entry, language: Language) -> PreparedArticle:
        """What deciding needs of a report, but the encoder's vectors (added when it is decided)."""
        return self.preparer.prepare(entry, language)

    # -- per batch --------------------------------------------------------------------------

    def look_ahead(
        self, session: Session, watch: str, reports: Sequence[tuple[int, PreparedArticle, datetime]]
    ) -> Lookahead:
        """What deciding a batch of ``watch``'s reports will need that can be had before the
        write lock, read in a snapshot (SQLite WAL: it never waits for the crawl's store): their
        near-duplicates (the most costly lookup of a batch), and in the encoder's cache the
        vectors of their sentences and of the open stories' sentences they may be compared
        with (most of a decision's time). ``begin`` then finds them ready. Neither changes a
        decision: the near-duplicates that count are decided reports (stored before), and a
        vector is the same whenever it is computed."""
        firsts = story_repo.first_reports(session, {prepared.fingerprint for _, prepared, _ in reports}, watch)
        near = bands.near_duplicates_of_many(
            session, self._near_lookups(firsts, reports), self.hasher, threshold=NEAR_DUPLICATE_THRESHOLD
        )
        if self.encoder is not None and reports:
            story_of = story_repo.stories_of(session, sorted({a for found in near.values() for a, _ in found}), watch)
            planned = Batch(watch, {}, firsts, near, story_of)
            self._plan_encoding(planned, reports)
            ahead = [text for texts in planned.ahead for text in texts]
            if ahead:  # some report will be compared by meaning: with the stories open at its time
                times = [at for _, _, at in reports]
                earliest, latest = min(times), max(times)
                open_then = story_repo.active_stories(
                    session, watch, earliest - self.settings.window, self.settings.max_candidates
                )
                compared = [
                    memory
                    for memory in map(self._memory, open_then.values())
                    if in_span(memory, earliest, self.settings.decision)
                    or in_span(memory, latest, self.settings.decision)
                ]
                # What the first comparison needs first: past the bound, the last reports' own
                # sentences are left to ``_encode_ahead``.
                texts = [text for memory in compared for text in memory.unembedded()]
                texts.extend(self._absorbed_before_compared(planned, reports))
                texts.extend(ahead)
                self.encoder.encode(texts[:LOOK_AHEAD_TEXTS])
                for memory in compared:  # their matrices, from the cache
                    memory.vectors("texts", self.encoder)
                    memory.vectors("leads", self.encoder)
        return Lookahead(near)

    def begin(
        self,
        session: Session,
        watch: str,
        reports: Sequence[tuple[int, PreparedArticle, datetime]],
        ahead: Lookahead | None = None,
    ) -> None:
        """A batch of ``watch``'s reports (article id, prepared, event time) is about to be
        decided in this order: what deciding them reads is looked up at once (a few statements
        instead of several per report; the near-duplicates ``ahead`` found are not looked up
        again), and the sentences they will be judged by are embedded a few reports at a time,
        ahead of placing them (``ENCODE_AHEAD``)."""
        firsts = story_repo.first_reports(session, {prepared.fingerprint for _, prepared, _ in reports}, watch)
        lookups = self._near_lookups(firsts, reports)
        found = ahead.near if ahead is not None else {}
        near = {lookup.article_id: found[lookup.article_id] for lookup in lookups if lookup.article_id in found}
        near.update(
            bands.near_duplicates_of_many(
                session,
                [lookup for lookup in lookups if lookup.article_id not in near],
                self.hasher,
                threshold=NEAR_DUPLICATE_THRESHOLD,
            )
        )
        story_of = story_repo.stories_of(session, sorted({a for found in near.values() for a, _ in found}), watch)
        since = min((at for _, _, at in reports), default=None)
        stories = (
            story_repo.active_stories(session, watch, since - self._reach(), self.settings.max_candidates)
            if since is not None
            else {}
        )
        self._batch = Batch(watch, stories, firsts, near, story_of)
        self._plan_encoding(self._batch, reports)

    @staticmethod
    def _near_lookups(
        firsts: Mapping[str, list[tuple[int, int]]], reports: Sequence[tuple[int, PreparedArticle, datetime]]
    ) -> list[bands.NearLookup]:
        """A report whose body a decided report or an earlier one of the batch has is an exact
        duplicate: only the first of each new body is looked up among the near-duplicates."""
        bodies = set(firsts)
        lookups = []
        for article_id, one, _ in reports:
            if one.fingerprint not in bodies:
                bodies.add(one.fingerprint)
                lookups.append(bands.NearLookup(article_id, one.band_keys, one.signature))
        return lookups

    def _plan_encoding(self, batch: Batch, reports: Sequence[tuple[int, PreparedArticle, datetime]]) -> None:
        """The sentences of the reports that will need them, in order. A copy of a stored report
        (same body, or a near-duplicate) usually does not: its decision rests on its figures
        unless its categories are found by meaning (``copy_needs_meaning``); if it turns out to
        need them, ``place`` embeds them then."""
        if self.encoder is None:
            return
        by_meaning = self.categorisers.get(batch.watch, NO_CATEGORIES).by_meaning
        batch_ids = {article_id for article_id, _, _ in reports}
        bodies: set[str] = set()
        for article_id, prepared, _ in reports:
            texts: list[str] = []
            if prepared.features.vectors is None:
                likely_copy = (
                    prepared.fingerprint in bodies
                    or any(first != article_id for first, _ in batch.firsts.get(prepared.fingerprint, []))
                    or any(other in batch_ids or other in batch.story_of for other, _ in batch.near.get(article_id, []))
                )
                bodies.add(prepared.fingerprint)
                if by_meaning or not likely_copy:
                    texts = to_encode(prepared.features)
            batch.position.setdefault(article_id, len(batch.ahead))
            batch.ahead.append(texts)

    @staticmethod
    def _absorbed_before_compared(batch: Batch, reports: Sequence[tuple[int, PreparedArticle, datetime]]) -> list[str]:
        """The sentences the batch's likely copies add to their stories before its last report
        compared by meaning: that report embeds them then (``_embed_stories``, under the write
        lock), so the look-ahead embeds them first. A copy's sentences are what a report of its
        own would embed (``to_encode``: the story keeps them, its leads and its standfirst)."""
        last = max((index for index, texts in enumerate(batch.ahead) if texts), default=0)
        return [
            text
            for (_, prepared, _), texts in zip(reports[:last], batch.ahead[:last], strict=True)
            if not texts and prepared.features.vectors is None
            for text in to_encode(prepared.features)
        ]

    def _encode_ahead(self, batch: Batch, article_id: int) -> None:
        """Before placing a report: embed, in one call, its sentences and those of the next
        reports up to ``ENCODE_AHEAD``, unless they are embedded already."""
        position = batch.position.get(article_id)
        if self.encoder is None or position is None or position < batch.embedded:
            return
        end = max(position + 1, batch.embedded + ENCODE_AHEAD)
        texts = [text for texts in batch.ahead[batch.embedded : end] for text in texts]
        batch.embedded = end
        if texts:
            self.encoder.encode(texts)

    def save_states(self) -> None:
        """Write the memories of the stories changed since the last call into their rows: once
        per batch of decisions, since a long story's memory is a large document."""
        for story_id, story in self._unsaved.items():
            story.state = self._memories[story_id][1].to_json()
        self._unsaved.clear()
        self._batch = None

    def forget_unsaved(self) -> None:
        """The batch was rolled back: its stories' rows keep their old state (and state token,
        so their cached memories are parsed again from the row)."""
        self._unsaved.clear()
        self._batch = None

    # -- per watch --------------------------------------------------------------------------

    def place(
        self, session: Session, article: ArticleHead, prepared: PreparedArticle, at: datetime
    ) -> tuple[Story, Decision]:
        """Decide the article's story and event at event time ``at``, in the batch ``begin``
        started (the reports in the order given there); create or update the story."""
        batch = self._batch
        if batch is None:
            raise RuntimeError("place() outside a batch: call begin() first")
        self._encode_ahead(batch, article.id)
        candidates = self._open_stories(batch, at)
        duplicate_story, duplicate_of = self._duplicate(batch, article.id, prepared)
        if duplicate_story is not None and duplicate_story not in candidates:
            story = batch.stories.get(duplicate_story) or story_repo.story(session, duplicate_story)
            if story is not None:
                candidates[story.id] = batch.stories[story.id] = story
        categoriser = self.categorisers.get(batch.watch, NO_CATEGORIES)
        copied = candidates.get(duplicate_story) if duplicate_story is not None else None
        features = self._tagged(prepared.features, categoriser, self._memory(copied) if copied is not None else None)
        if features.vectors is not None:
            self._embed_stories([self._memory(story) for story in candidates.values()], at)
        decision = decide(
            features,
            [
                StoryCandidate(story.id, self._memory(story), story.last_seen < at - self.settings.window)
                for story in candidates.values()
            ],
            self.settings.decision,
            duplicate_story=duplicate_story,
            duplicate_of=duplicate_of,
            encoder=self.encoder,
            at=at,
            watch_names=categoriser.watch_names,
        )
        if decision.story_id is None:
            story = story_repo.new_story(session, batch.watch, article.title, article.language, at)
            batch.stories[story.id] = story
        else:
            story = candidates[decision.story_id]
        self._absorb(story, features, at, core=decision.core)
        firsts = batch.firsts.setdefault(prepared.fingerprint, [])
        firsts[:] = sorted([*firsts, (article.id, story.id)])[:2]
        batch.story_of[article.id] = story.id
        return story, decision  # the story's row is written with the batch's matches

    def revise(
        self, session: Session, match: WatchMatch, prepared: PreparedArticle, now: datetime
    ) -> dict[str, object]:
        """A known report revised (same identity, new text): its story learns the new text; the
        event is UPDATE, and what changed is returned for the record (no alert by default)."""
        story = story_repo.story(session, match.story_id) if match.story_id is not None else None
        if story is None:
            return {"reason": "revised report"}
        features = self.categorisers.get(match.watch, NO_CATEGORIES).tag(self._encoded(prepared.features))
        novelty = assess(features, self._memory(story), self.settings.decision.novelty, self.encoder)
        self._absorb(story, features, None)
        self.save_states()
        return {"at": now.isoformat(), "reason": "revised report", **novelty.to_json()}

    # -- helpers ----------------------------------------------------------------------------

    def _open_stories(self, batch: Batch, at: datetime) -> dict[int, Story]:
        """``story_repo.active_stories`` at ``at``, from the batch's stories as they stand now
        (a story the batch created or moved forward in time counts as the database would)."""
        since = at - self._reach()
        open_now = sorted(
            (story for story in batch.stories.values() if story.last_seen >= since),
            key=lambda story: (story.last_seen, story.id),
            reverse=True,
        )
        return {story.id: story for story in open_now[: self.settings.max_candidates]}

    def _reach(self) -> timedelta:
        """How far back a story's last event may lie for it to be compared: the window, or up to
        ``DecisionSettings.max_gap`` for a report of the story's own kind (``decide``'s late
        candidates)."""
        return max(self.settings.window, self.settings.decision.max_gap)

    def _tagged(
        self, features: ArticleFeatures, categoriser: Categoriser, copied: StoryMemory | None
    ) -> ArticleFeatures:
        """The features with the watch's categories, and with vectors unless the report copies a
        stored one (``copied``: that story's memory) and nothing judged by meaning could make the
        copy news (``copy_needs_meaning``): then the decision reads its figures alone."""
        if self.encoder is None or features.vectors is not None:
            return categoriser.tag(features)
        if copied is not None and not categoriser.by_meaning:
            plain = categoriser.tag(features)
            if not copy_needs_meaning(plain, copied):
                return plain
        return categoriser.tag(self._encoded(features))

    def _embed_stories(self, memories: list[StoryMemory], at: datetime) -> None:
        """Embed in one call what the stories a report is compared with (those whose span it
        falls in) have not embedded yet: the copies they took since the last comparison."""
        if self.encoder is None:
            return
        missing = [
            text for memory in memories if in_span(memory, at, self.settings.decision) for text in memory.unembedded()
        ]
        if missing:
            self.encoder.encode(missing)

    def _encoded(self, features: ArticleFeatures) -> ArticleFeatures:
        if self.encoder is None or features.vectors is not None:
            return features
        return with_vectors(features, self.encoder)

    def _memory(self, story: Story) -> StoryMemory:
        cached = self._memories.get(story.id)
        if cached is not None and story.state_token is not None and cached[0] == story.state_token:
            return cached[1]
        memory = StoryMemory.from_json(story.state)
        if story.id is not None and story.state_token is not None:
            self._memories[story.id] = (story.state_token, memory)
        return memory

    def _absorb(self, story: Story, features: ArticleFeatures, at: datetime | None, core: bool = True) -> None:
        memory = self._memory(story)
        # With the encoder, a story keeps the sentences it reads of every report (the first
        # ``MAX_ENCODED``), embedded or not: a copy decided without vectors keeps the same.
        read = [sentence.text for sentence in features.sentences[:MAX_ENCODED]] if self.encoder is not None else None
        memory.absorb(features, at=at, texts=read, core=core)
        story.state_token = uuid.uuid4().hex
        if at is not None:  # reports may be decided out of event order (a late backfill)
            story.first_seen = min(story.first_seen, at)
            story.last_seen = max(story.last_seen, at)
        self._memories[story.id] = (story.state_token, memory)
        self._unsaved[story.id] = story

    def _duplicate(self, batch: Batch, article_id: int, prepared: PreparedArticle) -> tuple[int | None, int | None]:
        """The story and article of an earlier report with the same body, else a near-duplicate."""
        for first, story_id in batch.firsts.get(prepared.fingerprint, []):
            if first != article_id:
                return story_id, first
        for other, _ in batch.near.get(article_id, []):  # best similarity first
            if other in batch.story_of:
                return batch.story_of[other], other
        return None, None
