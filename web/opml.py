"""OPML 2.0 in and out: the configured feeds as a subscription list, and a list from another
reader turned into ``[[feeds]]`` blocks for the config.

Exported with ``xml.etree`` (names, Arabic included, are element attributes: escaped, intact).
Imported with listparser, which reads the variants real readers export (OPML 1.0 and 2.0, any
attribute case, namespaces, a stray ``&`` in an address), from bytes only. A file with a document
type declaration is refused before parsing: no entity can be defined, so there is no entity
expansion ("billion laughs") and no external entity (no file or URL is ever read). Folders at any
depth are flattened, and every outline that does not become a feed is listed with the reason.
"""

from __future__ import annotations

import codecs
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import listparser
import lxml.etree
import tomli_w
from fastapi import APIRouter, Request, Response

from alerts.render import one_line
from config.fields import check_http_url
from config.schema import RaqibConfig
from storage.types import FeedSpec
from web.app import can_reveal
from web.atom import drop_unencodable
from web.redact import mask_url

router = APIRouter(tags=["feeds"])

MEDIA_TYPE = "text/x-opml; charset=utf-8"
EXPORT_FILENAME = "raqib-feeds.opml"
LANGUAGES = ("ar", "en")
MAX_NAME_CHARS = 200  # the feeds table's name column
# No DTD in an OPML file: refusing them outright means no entity is ever defined or expanded.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']")


class OpmlError(ValueError):
    """The file is not an OPML document Raqib reads (malformed, not OPML, or a DOCTYPE)."""


@dataclass(frozen=True, slots=True)
class ImportedFeed:
    name: str
    url: str
    language: str  # "ar" | "en" | "auto"


@dataclass(slots=True)
class ImportResult:
    feeds: list[ImportedFeed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per outline left out: which and why


# --- route ---------------------------------------------------------------------------------


@router.get("/feeds.opml", response_class=Response, summary="The configured feeds as OPML")
def feeds_opml(request: Request) -> Response:
    """Secrets in feed addresses are masked unless the token holder asks with ``?reveal=1``."""
    config: RaqibConfig = request.app.state.config
    body = export_opml(config.feeds, title="Raqib feeds", reveal=can_reveal(request))
    disposition = f'attachment; filename="{EXPORT_FILENAME}"'
    return Response(content=body, media_type=MEDIA_TYPE, headers={"Content-Disposition": disposition})


# --- export --------------------------------------------------------------------------------


def export_opml(feeds: Sequence[FeedSpec], *, title: str, reveal: bool = False) -> bytes:
    """OPML 2.0, one ``type="rss"`` outline per feed; ``language`` (an attribute OPML 2.0 defines
    for rss outlines) is left out for "auto". Credentials in addresses are masked unless ``reveal``."""
    opml = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = one_line(title) or "Raqib feeds"
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        url = feed.url if reveal else mask_url(feed.url)
        attributes = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": url}
        if feed.language in LANGUAGES:
            attributes["language"] = feed.language
        ET.SubElement(body, "outline", attributes)
    drop_unencodable(opml)
    ET.indent(opml)
    return ET.tostring(opml, encoding="utf-8", xml_declaration=True) + b"\n"


# --- import --------------------------------------------------------------------------------


def import_opml(data: bytes, *, existing: Iterable[FeedSpec] = ()) -> ImportResult:
    """The feeds of an OPML file, in document order, folders flattened.

    An outline is skipped (and said why) when it has no xmlUrl, when that is not an http(s)
    address, or when the address is already taken by an earlier outline or by ``existing`` (the
    configured feeds). Names stay unique too: a second "News" becomes "News (2)".
    Raises OpmlError for a file that is not OPML or that has a DOCTYPE.
    """
    result = ImportResult()
    taken_urls = {_url_key(feed.url): feed.name for feed in existing}
    taken_names = {feed.name for feed in existing}
    outlines = _outlines(data)
    for position, (attributes, depth) in enumerate(outlines, start=1):
        where = _describe(attributes, position)
        url = (attributes.get("xmlurl") or "").strip()
        if not url:
            is_folder = position < len(outlines) and outlines[position][1] > depth
            if not is_folder:
                result.skipped.append(f"{where}: no xmlUrl" + _not_a_feed(attributes))
            continue
        try:
            check_http_url(url)
        except ValueError as exc:
            result.skipped.append(f"{where}: not an http(s) feed address ({exc})")
            continue
        key = _url_key(url)
        if key in taken_urls:
            result.skipped.append(f"{where}: duplicate of {taken_urls[key]!r} ({url})")
            continue
        name = _unique(_name(attributes, url), taken_names)
        taken_urls[key] = name
        taken_names.add(name)
        result.feeds.append(ImportedFeed(name=name, url=url, language=_language(attributes)))
    return result


class _OutlineRecorder(listparser.Handler):
    """listparser's handler (OPML 1 and 2, namespaces, attribute names in any case), also keeping
    every outline in document order with its depth and every attribute (``language`` included,
    which listparser's result leaves out)."""

    def __init__(self) -> None:
        super().__init__()
        # What listparser.parse() puts in the harvest before parsing.
        empty: dict[str, Any] = {"bozo": False, "bozo_exception": None, "feeds": [], "lists": [], "opportunities": []}
        self.harvest.update(empty, meta=listparser.common.SuperDict(), version="")
        self.outlines: list[tuple[dict[str, str], int]] = []
        self.depth = 0

    def start_opml_outline(self, attrs: dict[str, str]) -> None:
        self.outlines.append(({key.lower(): value for key, value in attrs.items()}, self.depth))
        self.depth += 1
        super().start_opml_outline(attrs)

    def end_opml_outline(self) -> None:
        self.depth -= 1
        super().end_opml_outline()


def _outlines(data: bytes) -> list[tuple[dict[str, str], int]]:
    """Every outline's attributes (names lower-cased) and depth, read the lenient way feed readers
    do (listparser over lxml's recovering parser: a stray ``&`` in an address does not lose the
    file). Only bytes are parsed: nothing is ever fetched."""
    encoding = _encoding(data)
    text = data.decode(encoding, errors="replace")
    if _DECLARATION.search(text):
        raise OpmlError("refused: the file has a DOCTYPE (entity declarations are not accepted in OPML)")
    recorder = _OutlineRecorder()
    parser = lxml.etree.HTMLParser(target=recorder, recover=True, no_network=True, encoding="utf-8")
    try:
        lxml.etree.parse(io.BytesIO(text.encode("utf-8")), parser)
    except lxml.etree.LxmlError as exc:
        raise OpmlError(f"not readable as OPML: {exc}") from None
    if not recorder.harvest.get("version"):
        raise OpmlError("not an OPML document: no <opml> root element")
    return recorder.outlines


def _encoding(data: bytes) -> str:
    """The file's encoding: its byte order mark, else its XML declaration, else UTF-8 (XML's
    default). lxml's HTML parser, which listparser relies on, does not read the declaration."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    declared = _DECLARED_ENCODING.match(data[:200])
    if declared:
        try:
            return codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            pass
    return "utf-8"


def _not_a_feed(attributes: dict[str, str]) -> str:
    kind = (attributes.get("type") or "").strip().lower()
    if kind in ("link", "include"):
        return f" (a {kind} to {attributes.get('url', '')!r}, not a feed)"
    if attributes.get("htmlurl"):
        return f" (only a web page, {attributes['htmlurl']!r})"
    return ""


def _describe(attributes: dict[str, str], position: int) -> str:
    label = one_line(attributes.get("text") or attributes.get("title") or "")
    return f"outline {position} ({label[:80]!r})" if label else f"outline {position}"


def _name(attributes: dict[str, str], url: str) -> str:
    name = one_line(attributes.get("text") or attributes.get("title") or "")
    return (name or urlsplit(url).hostname or url)[:MAX_NAME_CHARS]


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    counter = 2
    while f"{name} ({counter})" in taken:
        counter += 1
    return f"{name} ({counter})"


def _language(attributes: dict[str, str]) -> str:
    """ "ar", "ar-SA", "en-us" → the primary language when Raqib knows it, else "auto"."""
    value = attributes.get("language") or attributes.get("raqib:language") or ""
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else "auto"


def _url_key(url: str) -> str:
    parts = urlsplit(url.strip())
    # Scheme and host are case-insensitive; the rest of an address is not.
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


# --- TOML ----------------------------------------------------------------------------------


def toml_for(feeds: Iterable[FeedSpec]) -> str:
    """``[[feeds]]`` tables to append to a config file, one per feed, blank lines between. Values
    are written by tomli-w; the header is ours, because tomli-w writes short tables inline
    (``feeds = [{…}]``), which cannot be appended to a file that already has ``[[feeds]]``."""
    tables = [{"name": feed.name, "url": feed.url, "language": feed.language} for feed in feeds]
    return "\n".join("[[feeds]]\n" + tomli_w.dumps(table) for table in tables)
