"""OPML 2.0 in and out: the configured feeds as a subscription list, and a list from another
reader turned into ``[[feeds]]`` blocks for the config.

Exported with ``xml.etree`` (names, Arabic included, are element attributes: escaped, intact).
Imported with expat directly, refusing any document type declaration: no entity can be defined,
so there is no entity expansion ("billion laughs") and no external entity (no file or URL is
ever read); an undefined entity reference is a parse error. Import is lenient about the rest:
folders at any depth are flattened, attribute names are matched without regard to case, and
every outline that does not become a feed is listed with the reason.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urlsplit
from xml.parsers import expat

from fastapi import APIRouter, Request, Response

from alerts.render import one_line
from config.schema import RaqibConfig, check_http_url
from storage.types import FeedSpec
from web.app import can_reveal
from web.atom import drop_unencodable
from web.redact import mask_url

router = APIRouter(tags=["feeds"])

MEDIA_TYPE = "text/x-opml; charset=utf-8"
EXPORT_FILENAME = "raqib-feeds.opml"
LANGUAGES = ("ar", "en")
MAX_NAME_CHARS = 200  # the feeds table's name column


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
    Raises OpmlError for a file that is not well-formed OPML or that has a DOCTYPE.
    """
    result = ImportResult()
    taken_urls = {_url_key(feed.url): feed.name for feed in existing}
    taken_names = {feed.name for feed in existing}
    for position, (attributes, is_folder) in enumerate(_outlines(data), start=1):
        where = _describe(attributes, position)
        url = (attributes.get("xmlurl") or "").strip()
        if not url:
            if not is_folder:
                result.skipped.append(f"{where}: no xmlUrl")
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


def _outlines(data: bytes) -> list[tuple[dict[str, str], bool]]:
    """Every outline's attributes (names lower-cased) and whether it holds other outlines."""
    found: list[tuple[dict[str, str], bool]] = []
    open_outlines: list[int] = []  # indexes into found, of the outlines enclosing the parser
    elements: list[str] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        if not elements and tag != "opml":
            raise OpmlError(f"not an OPML document: the root element is <{tag}>, not <opml>")
        elements.append(tag)
        if tag == "outline":
            if open_outlines:
                found[open_outlines[-1]] = (found[open_outlines[-1]][0], True)
            open_outlines.append(len(found))
            found.append(({key.lower(): value for key, value in attributes.items()}, False))

    def end(tag: str) -> None:
        elements.pop()
        if tag == "outline":
            open_outlines.pop()

    def refuse_doctype(*_: object) -> NoReturn:
        raise OpmlError("refused: the file has a DOCTYPE (entity declarations are not accepted in OPML)")

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.ExternalEntityRefHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise OpmlError(f"not well-formed XML: {expat.ErrorString(exc.code)} (line {exc.lineno})") from None
    return found


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
    """``[[feeds]]`` blocks to append to a config file, one per feed, blank lines between."""
    blocks = []
    for feed in feeds:
        lines = ["[[feeds]]", f"name = {toml_string(feed.name)}", f"url = {toml_string(feed.url)}"]
        lines.append(f"language = {toml_string(feed.language)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in value:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
