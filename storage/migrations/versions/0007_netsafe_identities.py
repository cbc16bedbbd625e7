"""Article identities recomputed for the GUID-and-link rule and the library canonical form.

stories.identity now joins an entry's canonical link to its GUID (feeds reuse GUIDs: ten items
with one GUID are ten articles) and canonicalises links with w3lib after dropping trackers and
cache busters. Identities stored before this revision were computed the old way; left as they
are, the next crawl would find every stored entry "new" and store it twice. Each article's
identity and canonical URL are recomputed here from the columns the identity is made of (guid,
url, and the feed's name as the scope of a non-URL GUID), with the same functions the crawler
uses. Articles with neither GUID nor URL keep their title-and-text identity, which did not
change. When two stored articles now have the same identity (two tracking variants of one link,
stored as two rows before), the older keeps it and the other keeps its old identity: nothing is
deleted, and the next crawl matches the older one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stories.identity import canonical_url, identity_normalised

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT articles.id, articles.identity, articles.guid, articles.url, articles.canonical_url, feeds.name "
            "FROM articles JOIN feeds ON feeds.id = articles.feed_id ORDER BY articles.id"
        )
    ).all()
    taken = {row.identity for row in rows}
    changes: list[dict[str, object]] = []
    for row in rows:
        if not (row.guid or "").strip() and not (row.url or "").strip():
            continue  # a title-and-text identity: unchanged
        canonical = canonical_url(row.url) if row.url and row.url.strip() else None
        # Title and text only matter without GUID and URL, which was skipped above.
        identity = identity_normalised(row.guid, canonical, "", "", scope=row.name)
        if identity != row.identity:
            if identity in taken:
                continue  # another article already is this one: keep the old identity
            taken.discard(row.identity)
            taken.add(identity)
        elif canonical == row.canonical_url:
            continue
        changes.append({"id": row.id, "identity": identity, "canonical": canonical})
    update = sa.text("UPDATE articles SET identity = :identity, canonical_url = :canonical WHERE id = :id")
    for start in range(0, len(changes), BATCH):
        connection.execute(update, changes[start : start + BATCH])


def downgrade() -> None:
    """Nothing to undo in the schema; older code recomputes nothing and would store entries again."""
