"""The story desk: for each stored article and watch, gather what the database knows (active
stories and their memories, exact and near duplicates through the indexes), ask ``stories.decide``
and persist its decision. The deciding is pure and lives in ``stories/``; this is the SQL around it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from storage import bands
from storage.models import Article, Story, WatchMatch
from stories.categories import NO_CATEGORIES, Categoriser
from stories.concepts import Lexicon
from stories.decide import Decision, DecisionSettings, StoryCandidate, decide
from stories.features import ArticleFeatures, extract_features
from stories.fingerprint import NEAR_DUPLICATE_THRESHOLD, MinHasher, body_fingerprint
from stories.memory import StoryMemory
from stories.novelty import assess
from stories.semantic import SentenceEncoder
from stories.text import tokenise
from stories.types import Analysis, Entry


@dataclass(frozen=True, slots=True)
class StorySettings:
    window: timedelta = timedelta(days=7)  # stories seen within this are open for new reports
    max_candidates: int = 200  # the most recently active stories of a watch that are compared
    decision: DecisionSettings = field(default_factory=DecisionSettings)


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    features: ArticleFeatures
    fingerprint: str
    signature: bytes
    band_keys: list[int]


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
        self.hasher = hasher or MinHasher()
        self.encoder = encoder  # the multilingual sentence encoder (None: words and concepts only)
        self.categorisers = dict(categorisers or {})  # watch → its development categories
        # Parsed story memories, valid while the story's state_token is unchanged: parsing a
        # long story's state for every report was most of the cost of storing it.
        self._memories: dict[int, tuple[str, StoryMemory]] = {}

    # -- per article ------------------------------------------------------------------------

    def prepare(self, entry: Entry, analysis: Analysis) -> PreparedArticle:
        body_tokens = tokenise(entry.text or entry.summary)
        # The title is left out of the fingerprint and the signature: a copy under another
        # headline is still the same report.
        tokens = body_tokens if len(body_tokens) >= 12 else tokenise(entry.title) + body_tokens
        signature = self.hasher.signature(tokens)
        return PreparedArticle(
            features=extract_features(entry, analysis.language, self.lexicon, self.encoder),
            fingerprint=body_fingerprint(" ".join(tokens)),
            signature=signature,
            band_keys=self.hasher.band_keys(signature),
        )

    def index(self, session: Session, article: Article, prepared: PreparedArticle, *, revised: bool) -> None:
        article.fingerprint = prepared.fingerprint
        article.signature = prepared.signature
        article.features = prepared.features.to_json()
        session.flush()
        if revised:
            bands.remove_bands(session, article.id)
        bands.add_bands(session, article.id, prepared.band_keys)

    # -- per watch --------------------------------------------------------------------------

    def place(
        self, session: Session, article: Article, prepared: PreparedArticle, watch: str, now: datetime
    ) -> tuple[Story, Decision]:
        """Decide the article's story and event for ``watch``; create or update the story."""
        candidates = self._active_stories(session, watch, now)
        duplicate_story, duplicate_of = self._duplicate(session, article, prepared, watch)
        if duplicate_story is not None and duplicate_story not in candidates:
            story = session.get(Story, duplicate_story)
            if story is not None:
                candidates[story.id] = story
        features = self.categorisers.get(watch, NO_CATEGORIES).tag(prepared.features)
        decision = decide(
            features,
            [StoryCandidate(story.id, self._memory(story)) for story in candidates.values()],
            self.settings.decision,
            duplicate_story=duplicate_story,
            duplicate_of=duplicate_of,
            encoder=self.encoder,
            at=now,
        )
        if decision.story_id is None:
            story = Story(
                watch=watch,
                title=article.title,
                language=article.language,
                first_seen=now,
                last_seen=now,
                state=None,
            )
            session.add(story)
            session.flush()  # the new story's id keys its memory in the cache
        else:
            story = candidates[decision.story_id]
        self._absorb(story, features, now)
        session.flush()
        return story, decision

    def revise(
        self, session: Session, match: WatchMatch, prepared: PreparedArticle, now: datetime
    ) -> dict[str, object]:
        """A known report revised (same identity, new text): its story learns the new text; the
        event is UPDATE, and what changed is returned for the record (no alert by default)."""
        story = session.get(Story, match.story_id) if match.story_id is not None else None
        if story is None:
            return {"reason": "revised report"}
        features = self.categorisers.get(match.watch, NO_CATEGORIES).tag(prepared.features)
        novelty = assess(features, self._memory(story), self.settings.decision.novelty, self.encoder)
        self._absorb(story, features, now)
        return {"at": now.isoformat(), "reason": "revised report", **novelty.to_json()}

    # -- helpers ----------------------------------------------------------------------------

    def _memory(self, story: Story) -> StoryMemory:
        cached = self._memories.get(story.id)
        if cached is not None and story.state_token is not None and cached[0] == story.state_token:
            return cached[1]
        memory = StoryMemory.from_json(story.state)
        if story.id is not None and story.state_token is not None:
            self._memories[story.id] = (story.state_token, memory)
        return memory

    def _absorb(self, story: Story, features: ArticleFeatures, now: datetime) -> None:
        memory = self._memory(story)
        memory.absorb(features, at=now)
        story.state = memory.to_json()
        story.state_token = uuid.uuid4().hex
        story.last_seen = max(story.last_seen, now)
        self._memories[story.id] = (story.state_token, memory)

    def _active_stories(self, session: Session, watch: str, now: datetime) -> dict[int, Story]:
        rows = session.scalars(
            select(Story)
            .where(Story.watch == watch, Story.last_seen >= now - self.settings.window)
            .options(defer(Story.state))  # parsed only when the cached memory is out of date
            .order_by(Story.last_seen.desc())
            .limit(self.settings.max_candidates)
        )
        return {story.id: story for story in rows}

    def _duplicate(
        self, session: Session, article: Article, prepared: PreparedArticle, watch: str
    ) -> tuple[int | None, int | None]:
        """The story and article of an earlier report with the same body, else a near-duplicate."""
        exact = session.execute(
            select(WatchMatch.story_id, Article.id)
            .join(Article, WatchMatch.article_id == Article.id)
            .where(
                Article.fingerprint == prepared.fingerprint,
                WatchMatch.watch == watch,
                WatchMatch.story_id.is_not(None),
                Article.id != article.id,
            )
            .order_by(Article.id)
            .limit(1)
        ).first()
        if exact is not None:
            return exact[0], exact[1]
        near = bands.near_duplicates(
            session,
            prepared.band_keys,
            prepared.signature,
            self.hasher,
            threshold=NEAR_DUPLICATE_THRESHOLD,
            exclude=article.id,
        )
        if not near:
            return None, None
        ids = [article_id for article_id, _ in near]
        rows = session.execute(
            select(WatchMatch.article_id, WatchMatch.story_id).where(
                WatchMatch.article_id.in_(ids), WatchMatch.watch == watch, WatchMatch.story_id.is_not(None)
            )
        ).all()
        story_of = {row[0]: row[1] for row in rows}
        for article_id in ids:  # best similarity first
            if article_id in story_of:
                return story_of[article_id], article_id
        return None, None
