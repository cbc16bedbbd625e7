"""The readable text of an article page, via trafilatura."""

from __future__ import annotations

import trafilatura


def extract_article_text(html: bytes, url: str, *, limit: int) -> str:
    """Main text of the page, or "" when trafilatura finds none. Never raises on bad HTML."""
    try:
        text = trafilatura.extract(
            html,
            url=url,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            deduplicate=False,
        )
    except Exception:  # noqa: BLE001 - hostile pages can break any parser; the feed text remains
        return ""
    return (text or "")[:limit]
