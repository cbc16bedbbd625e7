"""What the story desk (``ingest.desk``) is set with, what it looks up before the write lock, and
what it keeps while it decides one batch of a watch's reports. Apart from the desk's logic so
that the desk stays one readable module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from storage.models import Story
from stories.decide import DecisionSettings


@dataclass(frozen=True, slots=True)
class StorySettings:
    # Stories with an event within this are open for new reports; past it, up to
    # ``DecisionSettings.max_gap``, only for a report of their own kind (``stories.decide.of_its_kind``).
    window: timedelta = timedelta(days=7)
    max_candidates: int = 200  # the most recently active stories of a watch that are compared
    decision: DecisionSettings = field(default_factory=DecisionSettings)


@dataclass(frozen=True, slots=True)
class Lookahead:
    """What ``StoryDesk.look_ahead`` found before the write lock: each looked-up report's
    near-duplicates, best first (article id -> (article id, similarity))."""

    near: Mapping[int, list[tuple[int, float]]]
    queued: int = 0  # the watch's queued matches it read (``ingest.decide.look_ahead``)
    # Their article ids: the batch decides these, not matches the crawl queued since (a report
    # of an older event committed meanwhile comes first in the queue, but was not looked ahead:
    # it comes with its own notice and is looked ahead then).
    article_ids: tuple[int, ...] = ()


@dataclass(slots=True)
class Batch:
    """What deciding one batch of a watch's reports reads, looked up once for the whole batch and
    kept up to date as its reports are decided: the watch's open stories (and every story the
    batch touched), the first reports of each body, and each report's near-duplicates with the
    stories they joined."""

    watch: str
    stories: dict[int, Story]
    firsts: dict[str, list[tuple[int, int]]]  # fingerprint -> the first two (article id, story id)
    near: dict[int, list[tuple[int, float]]]  # article id -> its near-duplicates, best first
    story_of: dict[int, int]  # article id -> its story under the watch (decided ones)
    # The sentences each report will likely be judged by, in the batch's order, embedded a few
    # reports ahead of placing them (``StoryDesk._encode_ahead``); how many reports are embedded.
    ahead: list[list[str]] = field(default_factory=list)
    position: dict[int, int] = field(default_factory=dict)  # article id -> its index in ``ahead``
    embedded: int = 0
