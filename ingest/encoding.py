"""Decode a feed's bytes to UTF-8 before parsing: the charset its HTTP header states, else its BOM,
else its XML declaration, else a guess; a feed that declares none or a wrong one is common.

The parser (fastfeedparser, over libxml2) reads only the BOM and the XML declaration, never the
HTTP header, and falls back to UTF-8; a naive fallback to windows-1252 decodes every byte, so an
Arabic feed in windows-1256 or ISO-8859-6 would come out as Latin mojibake without any error. So the
parser is always given UTF-8 bytes whose XML declaration, if any, says UTF-8.

A feed that declares a charset its bytes are not in (windows-1256 served as UTF-8, a common CMS
mistake) would come out as mojibake or replacement characters, match nothing and look healthy.
When the declared charset does not decode the bytes cleanly, charset-normalizer detects the real
one, the feed is transcoded to UTF-8, and ``DecodedFeed.note`` says what was done, for the feed's
record.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
_LATIN_EXTENDED = re.compile(r"[\u00C0-\u00FF]")

# Order matters on ties: the Arabic code pages first, since an undeclared non-UTF-8 feed in a
# monitor for Arabic news is most likely one of them; windows-1252 last as the Western fallback.
_CANDIDATES = ("cp1256", "iso-8859-6", "windows-1252")


@dataclass(frozen=True, slots=True)
class DecodedFeed:
    body: bytes  # the feed in UTF-8, without a BOM; its XML declaration, if any, says utf-8
    encoding: str  # what we decided (or what was declared)
    detected: bool  # True when we had to guess
    note: str | None = None  # what was done about a declared charset that was wrong


def declared_charset(content_type: str | None, body: bytes) -> str | None:
    """The charset the server or the document itself states, if any."""
    if content_type:
        found = _CHARSET_PARAM.search(content_type)
        if found:
            return found.group(1).lower()
    if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return "bom"
    declaration = _XML_DECL_ENCODING.match(body[:512])
    if declaration:
        return declaration.group(1).decode("ascii").lower()
    return None


def _mixed_script_words(text: str) -> int:
    """Words holding both Arabic letters and Latin-1 accented letters: the mark of a wrong code page."""
    count = 0
    for word in _WORD.findall(text):
        if _ARABIC_LETTER.search(word) and _LATIN_EXTENDED.search(word):
            count += 1
    return count


def guess_encoding(body: bytes) -> str:
    """The most plausible encoding of undeclared bytes: UTF-8 when valid, else the code page
    whose decoding yields the fewest impossible words and, among Arabic ones, the most Arabic."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[int, int, int] | None = None
    best_name = "windows-1252"
    for rank, name in enumerate(_CANDIDATES):
        try:
            text = body.decode(name)
        except UnicodeDecodeError:
            continue
        arabic = len(_ARABIC_LETTER.findall(text))
        latin_accents = len(_LATIN_EXTENDED.findall(text))
        # An Arabic decoding of Western text shows few Arabic letters among many accented ones;
        # demand that Arabic letters dominate before preferring an Arabic code page.
        if name != "windows-1252" and arabic <= latin_accents:
            continue
        score = (_mixed_script_words(text), -arabic if name != "windows-1252" else 0, rank)
        if best is None or score < best:
            best, best_name = score, name
    return best_name


def decode_feed(body: bytes, content_type: str | None) -> DecodedFeed:
    """The feed as UTF-8 bytes for the parser, with the charset it was in."""
    declared = declared_charset(content_type, body)
    if declared == "bom":
        codec = "utf-8-sig" if body.startswith(b"\xef\xbb\xbf") else "utf-16"
        return _as_utf8(body, codec, detected=False)
    if declared is not None:
        if not _known(declared):
            guessed = guess_encoding(body)
            note = f"declared charset {declared} is unknown; decoded as {guessed} (guessed)"
            return _as_utf8(body, guessed, detected=True, note=note)
        if _decodes(body, declared):
            return _as_utf8(body, declared, detected=False)
        detected = _detect(body)
        if detected is None:  # nothing better found: what does not decode becomes U+FFFD, and the feed is marked
            note = f"declared charset {declared} does not decode the feed; undecodable bytes replaced"
            return _as_utf8(body, declared, detected=False, note=note)
        note = f"declared charset {declared} does not decode the feed; decoded as {detected} (detected)"
        return _as_utf8(body, detected, detected=True, note=note)
    return _as_utf8(body, guess_encoding(body), detected=True)


_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8"})


def _as_utf8(body: bytes, encoding: str, *, detected: bool, note: str | None = None) -> DecodedFeed:
    if encoding.lower() in _UTF8_NAMES:  # already checked to decode (or replaced below when not)
        utf8 = body.removeprefix(b"\xef\xbb\xbf") if note is None else body.decode("utf-8", "replace").encode()
    else:
        utf8 = body.decode(encoding, errors="replace").encode("utf-8").removeprefix(b"\xef\xbb\xbf")
    declaration = _XML_DECL_ENCODING.match(utf8[:512])
    if declaration is not None and declaration.group(1).lower() not in _UTF8_NAMES_BYTES:
        # The declaration would make the parser decode these UTF-8 bytes as the declared charset.
        utf8 = _XML_DECL.sub(b'<?xml version="1.0" encoding="utf-8"?>', utf8, count=1)
    return DecodedFeed(utf8, encoding, detected=detected, note=note)


_UTF8_NAMES_BYTES = frozenset(name.encode() for name in _UTF8_NAMES)


def _known(charset: str) -> bool:
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True


def _decodes(body: bytes, charset: str) -> bool:
    """Whether the declared (and known) charset decodes the bytes without error."""
    try:
        body.decode(charset)
    except UnicodeDecodeError:
        return False
    return True


def _detect(body: bytes) -> str | None:
    """The encoding charset-normalizer finds most plausible, as a Python codec name."""
    best = charset_normalizer.from_bytes(body).best()
    return best.encoding if best is not None else None
