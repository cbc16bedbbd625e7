"""Feed XML made safe and plain for the parser, and what the parser's reading leaves out.

The document type declaration is cut out (where entities are declared: billion laughs, external
entities), and entity references XML does not define become text or characters, so the parser
never meets an entity to expand or to fetch. Every lxml parser here is also built not to resolve
entities, not to load a DTD and not to use the network: the second lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.entities import name2codepoint

from lxml import etree

# The document type declaration, internal subset and all, where XML allows it: after the XML
# declaration, comments and processing instructions, before the root element. Matched there only
# (once, anchored): searched for anywhere, a body of many "<!DOCTYPE x [" would take quadratic time.
_DOCTYPE = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*(<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>))",
    re.IGNORECASE | re.DOTALL,
)
# A reference to an entity XML does not predefine: an HTML one (&nbsp;) or one the cut DOCTYPE declared.
_UNDEFINED_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9._-]*);")
_LOCKED = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
_STRICT = etree.XMLParser(**_LOCKED)
_RECOVER = etree.XMLParser(recover=True, **_LOCKED)

_ENTRY_TAGS = frozenset({"item", "entry"})
_TITLE_TAGS = frozenset({"title"})
_BODY_TAGS = frozenset({"description", "summary", "content", "encoded"})
_ID_TAGS = frozenset({"guid", "id"})
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"


def _entity_as_text(reference: re.Match[bytes]) -> bytes:
    # An HTML entity becomes its character, as a browser reads it; any other stays visible as text.
    codepoint = name2codepoint.get(reference.group(1).decode("ascii"))
    return b"&#%d;" % codepoint if codepoint is not None else b"&amp;" + reference.group(0)[1:]


def xml_for_parser(utf8: bytes) -> tuple[bytes, str | None]:
    """The bytes to parse (no DOCTYPE, every entity reference one XML defines) and what was mended
    that makes the feed worth a word in its record."""
    mended = []
    public_dtd = False
    if b"<!" in utf8[:4096]:
        doctype = _DOCTYPE.match(utf8)
        if doctype is not None:
            utf8 = utf8[: doctype.start(1)] + utf8[doctype.end(1) :]
            if b"[" in doctype.group(1):
                mended.append("document type declaration with entities removed")
            else:  # a public DTD (RSS 0.91's): it declares the HTML entities its feeds use
                public_dtd = True
    if b"&" in utf8:
        names = set(_UNDEFINED_ENTITY.findall(utf8))
        if names:
            utf8 = _UNDEFINED_ENTITY.sub(_entity_as_text, utf8)
            if not (public_dtd and all(name.decode("ascii") in name2codepoint for name in names)):
                mended.append("undefined entities read as text")
    return utf8, "; ".join(mended) or None


def malformation(utf8: bytes) -> str | None:
    """Why the bytes are not well-formed XML, in libxml2's words, or None when they are."""
    try:
        etree.fromstring(utf8, _STRICT)
    except etree.XMLSyntaxError as error:
        return str(error)
    return None


@dataclass(frozen=True, slots=True)
class MarkupTexts:
    """An entry's title and body elements that hold child elements, as markup."""

    titles: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)


def entries_with_ids(root: etree._Element | None, entries: int) -> list[bool] | None:
    """For each entry of the document (``recovered_tree``) in document order, whether it has an id
    element of its own (guid, id, rdf:about); None when it does not give the parser's number of
    entries."""
    if root is None:
        return None
    found = [
        element.get(_RDF_ABOUT) is not None or any(_local(child.tag) in _ID_TAGS for child in element)
        for element in root.iter()
        if _local(element.tag) in _ENTRY_TAGS
    ]
    return found if len(found) == entries else None


def recovered_tree(utf8: bytes) -> etree._Element | None:
    """The document's tree as libxml2 recovers it (a malformed feed included), or None."""
    try:
        return etree.fromstring(utf8, _RECOVER)
    except etree.XMLSyntaxError:
        return None


def _local(tag: object) -> str | None:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else None


def _inner_markup(element: etree._Element) -> str:
    return (element.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in element)


def markup_texts(root: etree._Element | None, entries: int) -> list[MarkupTexts] | None:
    """For each entry (RSS item, Atom entry) of the document (``recovered_tree``) in document
    order, its title and body elements that hold child elements, as markup; None when it does not
    give the parser's number of entries (then it is not known which entry is which)."""
    if root is None:
        return None
    found = []
    for element in root.iter():
        if _local(element.tag) not in _ENTRY_TAGS:
            continue
        texts = MarkupTexts()
        for child in element:
            name = _local(child.tag)
            if len(child) and name in _TITLE_TAGS:
                texts.titles.append(_inner_markup(child))
            elif len(child) and name in _BODY_TAGS:
                texts.bodies.append(_inner_markup(child))
        found.append(texts)
    return found if len(found) == entries else None
