"""The story desk: for each stored article and watch, gather what the database knows (active
stories and their memories, exact and near duplicates through the indexes), ask ``stories.decide``
and persist its decision. The deciding is pure and lives in ``stories/``; the rows come and go
through ``storage`` (story_repo, bands). Times are event times (``at``): a story's window, first
and last seen follow when its reports' events happened, not when they were fetched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ingest.prepare import PreparedArticle, Preparer
from storage import bands, story_repo
from storage.models import Article, Story, WatchMatch
from stories.categories import NO_CATEGORIES, Categoriser
from stories.concepts import Lexicon
from stories.decide import Decision, DecisionSettings, StoryCandidate, decide
from stories.features import ArticleFeatures, to_encode, with_vectors
from stories.fingerprint import NEAR_DUPLICATE_THRESHOLD, MinHasher
from stories.memory import StoryMemory
from stories.novelty import assess
from stories.semantic import SentenceEncoder
from stories.types import Entry, Language

__all__ = ["PreparedArticle", "StoryDesk", "StorySettings"]


@dataclass(frozen=True, slots=True)
class StorySettings:
    window: timedelta = timedelta(days=7)  # stories with an event within this are open for new reports
    max_candidates: int = 200  # the most recently active stories of a watch that are compared
    decision: DecisionSettings = field(default_factory=DecisionSettings)


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
        # During a batch (``expect``): per fingerprint, the first two reports of the watch with
        # that body, kept up to date as the batch is decided.
        self._firsts: dict[str, list[tuple[int, int]]] | None = None

    # -- per article ------------------------------------------------------------------------

    def prepare(self, entry: Entry, language: Language) -> PreparedArticle:
        """What deciding needs of a report, but the encoder's vectors (``encode_ahead``)."""
        return self.preparer.prepare(entry, language)

    def encode_ahead(self, prepared: Iterable[PreparedArticle]) -> None:
        """Embed the sentences a batch of reports will be decided by in one call to the model (a
        batch costs about a third per sentence of one call per report); deciding each report then
        finds its vectors in the encoder's cache."""
        if self.encoder is None:
            return
        texts = [text for one in prepared if one.features.vectors is None for text in to_encode(one.features)]
        if texts:
            self.encoder.encode(texts)

    def expect(self, session: Session, watch: str, prepared: Iterable[PreparedArticle]) -> None:
        """A batch of ``watch``'s reports is about to be decided: their exact duplicates are
        looked up at once (one statement instead of one per report) until ``save_states``."""
        self._firsts = story_repo.first_reports(session, {one.fingerprint for one in prepared}, watch)

    def save_states(self) -> None:
        """Write the memories of the stories changed since the last call into their rows: once
        per batch of decisions, since a long story's memory is a large document."""
        for story_id, story in self._unsaved.items():
            story.state = self._memories[story_id][1].to_json()
        self._unsaved.clear()
        self._firsts = None

    def forget_unsaved(self) -> None:
        """The batch was rolled back: its stories' rows keep their old state (and state token,
        so their cached memories are parsed again from the row)."""
        self._unsaved.clear()
        self._firsts = None

    # -- per watch --------------------------------------------------------------------------

    def place(
        self, session: Session, article: Article, prepared: PreparedArticle, watch: str, at: datetime
    ) -> tuple[Story, Decision]:
        """Decide the article's story and event for ``watch`` at event time ``at``; create or
        update the story."""
        candidates = story_repo.active_stories(session, watch, at - self.settings.window, self.settings.max_candidates)
        duplicate_story, duplicate_of = self._duplicate(session, article, prepared, watch)
        if duplicate_story is not None and duplicate_story not in candidates:
            story = story_repo.story(session, duplicate_story)
            if story is not None:
                candidates[story.id] = story
        categoriser = self.categorisers.get(watch, NO_CATEGORIES)
        features = categoriser.tag(self._encoded(prepared.features))
        decision = decide(
            features,
            [StoryCandidate(story.id, self._memory(story)) for story in candidates.values()],
            self.settings.decision,
            duplicate_story=duplicate_story,
            duplicate_of=duplicate_of,
            encoder=self.encoder,
            at=at,
            watch_names=categoriser.watch_names,
        )
        if decision.story_id is None:
            story = story_repo.new_story(session, watch, article.title, article.language, at)
        else:
            story = candidates[decision.story_id]
        self._absorb(story, features, at)
        if self._firsts is not None:
            firsts = self._firsts.setdefault(prepared.fingerprint, [])
            firsts[:] = sorted([*firsts, (article.id, story.id)])[:2]
        return story, decision  # the story's row is flushed with the match (repo.add_match)

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

    def _absorb(self, story: Story, features: ArticleFeatures, at: datetime | None) -> None:
        memory = self._memory(story)
        memory.absorb(features, at=at)
        story.state_token = uuid.uuid4().hex
        if at is not None:  # reports may be decided out of event order (a late backfill)
            story.first_seen = min(story.first_seen, at)
            story.last_seen = max(story.last_seen, at)
        self._memories[story.id] = (story.state_token, memory)
        self._unsaved[story.id] = story

    def _duplicate(
        self, session: Session, article: Article, prepared: PreparedArticle, watch: str
    ) -> tuple[int | None, int | None]:
        """The story and article of an earlier report with the same body, else a near-duplicate."""
        if self._firsts is None:
            exact = story_repo.exact_duplicate(session, prepared.fingerprint, watch, article.id)
        else:
            exact = next(
                (
                    (story_id, first)
                    for first, story_id in self._firsts.get(prepared.fingerprint, [])
                    if first != article.id
                ),
                None,
            )
        if exact is not None:
            return exact
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
        story_of = story_repo.stories_of(session, ids, watch)
        for article_id in ids:  # best similarity first
            if article_id in story_of:
                return story_of[article_id], article_id
        return None, None
