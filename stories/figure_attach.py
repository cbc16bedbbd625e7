"""What a quantity counts: the outcome or object word around it, never across a clause break
(an internal part of ``stories.figures``; its module docstring gives the rules).
"""

from __future__ import annotations

from stories.figure_quantities import _Quantity
from stories.figure_tokens import _WORD, _keys, _Tokens
from stories.figure_words import (
    _AMONG,
    _COMPLEMENT_W,
    _FROM,
    _IN,
    _OF,
    _OF_PEOPLE,
    _OUTCOMES,
    _THE,
    _TO,
    _TOTAL_W,
)


def _kind_at(tokens: _Tokens, i: int) -> tuple[str, int, bool] | None:
    """The kind phrase starting at token i: (kind, end, carries و/ف), or None."""
    word = tokens.toks[i].word
    if word is None:
        return None
    for phrase, kind, conj in word.phrases:
        if tokens.matches(i, phrase):
            return kind, i + len(phrase), conj
    return None


def _kind_ending_at(tokens: _Tokens, i: int) -> tuple[str, int] | None:
    """The kind phrase ending at token i (for reading leftwards): (kind, start), or None."""
    for length in (3, 2, 1):
        start = i - length + 1
        if start < 0 or any(tokens.brk(k) for k in range(start + 1, i + 1)):
            continue
        found = _kind_at(tokens, start)
        if found is not None and found[1] == i + 1:
            return found[0], start
    return None


_MAX_FILLERS = 3  # words between a number and its noun: "300 North Korean special forces"
_MAX_RIGHT = 8
_EVIDENCE_MAX = 160


_MAX_LINKS = 4


_MAX_SUBJECT = 6


def _subject_outcome(tokens: _Tokens, i: int) -> tuple[str, int] | None:
    """A killed/wounded/casualties phrase at most ``_MAX_SUBJECT`` words before token i, in the
    same clause, with no number in between."""
    for k in range(i, max(-1, i - _MAX_SUBJECT), -1):
        if tokens.brk(k + 1) or tokens.toks[k].type != _WORD:
            return None
        found = _kind_ending_at(tokens, k)
        if found is not None:
            return found if found[0] in _OUTCOMES and found[0] != "captured" else None
    return None


_MAX_TOLL_SUBJECT = 14
_CLAUSE_W = frozenset({"as", "while", "when", "but", "whereas", "which", "who", "that", "after", "before"})


def _toll_subject(tokens: _Tokens, i: int) -> tuple[str, int] | None:
    """The outcome a total ("rose to", "reached", "إلى" after a toll) names from further back,
    past the toll's complement: "the toll from Israeli strikes on the towns of Haris and Talousa
    rose to 11", "حصيلة قتلى النيران الإسرائيلية على العائدين إلى قرى الجنوب إلى 22". Only an
    outcome that is a toll ("toll", "حصيلة قتلى") or is followed by a complement word ("deaths
    from", "in", "among") counts, so a verb's object earlier in the clause ("strikes killed
    dozens as the number of displaced rose to 1,200") does not."""
    for k in range(i, max(-1, i - _MAX_TOLL_SUBJECT), -1):
        if tokens.brk(k + 1) or tokens.toks[k].type != _WORD:
            return None
        found = _kind_ending_at(tokens, k)
        if found is not None:
            if found[0] not in _OUTCOMES or found[0] == "captured":
                return None
            toll = not _TOTAL_W.isdisjoint(_keys(tokens, k)) or (
                not tokens.brk(found[1]) and not _TOTAL_W.isdisjoint(_keys(tokens, found[1] - 1))
            )
            complement = not _COMPLEMENT_W.isdisjoint(_keys(tokens, k + 1))
            return found if toll or complement else None
        word = tokens.word(k)
        if word is not None and not word.keys.isdisjoint(_CLAUSE_W):
            return None
    return None


def _is_total(tokens: _Tokens, q: _Quantity) -> bool:
    """Whether a total word names the count at ``q``: "rose to 11", "the toll to 24", "بلغت
    3000", "ارتفاع حصيلة الغارات إلى 11 قتيلا" (a total word anywhere in the clause before a
    "to" / "إلى" that leads to it)."""
    i = q.start - 1
    if i < 0 or tokens.brk(q.start):
        return False
    if not _TO.isdisjoint(_keys(tokens, i)):
        for k in range(i - 1, max(-1, i - _MAX_TOLL_SUBJECT), -1):
            if tokens.brk(k + 1):
                break
            if not _TOTAL_W.isdisjoint(_keys(tokens, k)):
                return True
        return False
    for _ in range(_MAX_LINKS):
        word = tokens.word(i)
        if word is None or not word.link:
            return False
        if not word.keys.isdisjoint(_TOTAL_W):
            return True
        if i == 0 or tokens.brk(i):
            return False
        i -= 1
    return False


def _is_part(tokens: _Tokens, q: _Quantity, first: int, last: int) -> bool:
    """Whether the count at ``q`` (its words from ``first`` to before ``last``) is a part of a
    toll, never the toll: an increment ("two more killed", "another 3 dead", "3 قتلى جدد"), a
    part named inside a count ("including four medics", "بينهم ثلاثة جنود"), or a part of the
    outcome's own people ("nine of the dead", "two of the wounded died", "among the dead were
    nine children", "وكان بين القتلى تسعة أطفال")."""
    before = tokens.word(q.start - 1)
    if before is not None and before.part_before:
        return not tokens.brk(q.start)
    if first < q.start and _after_among(tokens, first):
        return True
    if last > q.end and not tokens.brk(q.end) and not _OF.isdisjoint(_keys(tokens, q.end)):
        outcome = q.end + 2 if _keys(tokens, q.end + 1) == _THE else q.end + 1
        if outcome < last and not tokens.brk(outcome) and _kind_at(tokens, outcome) is not None:
            return True
    for k in (q.end, last) if last != q.end else (q.end,):
        after = tokens.word(k)
        if after is not None and after.increment and not tokens.brk(k):
            return True  # "300 more than last week" is a difference, no toll either
    return False


def _after_among(tokens: _Tokens, start: int) -> bool:
    """Whether "among" / "بين" (past "the") comes right before token ``start`` in its clause."""
    k = start - 1
    if k >= 0 and _keys(tokens, k) == _THE and not tokens.brk(start):
        k -= 1
    return k >= 0 and not tokens.brk(k + 1) and not _AMONG.isdisjoint(_keys(tokens, k))


def _outcome_before(tokens: _Tokens, found: tuple[str, int]) -> tuple[str, int]:
    """An outcome phrase right before the object phrase ``found`` (past "among", "of" and
    nationalities), which then names what the number counts; else ``found``."""
    i = found[1] - 1
    for _ in range(_MAX_LINKS):
        if i < 0 or tokens.brk(i + 1):
            break
        outcome = _kind_ending_at(tokens, i)
        if outcome is not None:
            return outcome if outcome[0] in _OUTCOMES else found
        word = tokens.toks[i].word
        if word is None or not (word.national or word.link or not word.keys.isdisjoint(_OF_PEOPLE)):
            break
        i -= 1
    return found


def _attach(tokens: _Tokens, q: _Quantity) -> tuple[str, int, int] | None:
    """(kind, first token, end token) of what ``q`` counts, or None."""
    n = tokens.n
    # Rightwards: [fillers] object [aux] outcome, or [fillers] outcome.
    obj: tuple[str, int] | None = (q.dual, q.number_end) if q.dual else None
    outcome: tuple[str, int] | None = None
    people = obj is not None
    fillers = 0
    past_adjective = False
    complement = False
    subset = False
    after_aux = False
    j = q.end
    first_after = tokens.word(j) if j < n and not tokens.brk(j) else None
    while j < n and not tokens.brk(j):
        word = tokens.toks[j].word
        if subset:
            # "15 شخصا بينهم جندي لبناني قتلوا", "15 people including a soldier were killed": the
            # part names no kind of its own; a verb that agrees with the count (or follows an
            # auxiliary) still says what happened to all of them
            if j - q.end >= _MAX_RIGHT + _MAX_FILLERS:
                break
            found = _kind_at(tokens, j) if word is not None else None
            if found is not None and found[0] in _OUTCOMES and not found[2] and word is not None:
                if word.agreeing or (word.latin and after_aux):
                    outcome = (found[0], found[1])
                break
            after_aux = word is not None and word.aux
            j += 1
            continue
        if word is None:
            break
        if word.part:
            subset = True
            j += 1
            continue
        found = _kind_at(tokens, j)
        if found is not None and not found[2] and not word.left_only:
            kind, end, _ = found
            if kind in _OUTCOMES:
                if not past_adjective or word.agreeing:
                    outcome = (kind, end)
                break
            if obj is not None:
                break
            obj, people, j = (kind, end), True, end
            continue
        if obj is not None and word.national:
            past_adjective = True  # "100 جندي كوري شمالي قتلوا"
        elif obj is None:
            if word.stop or found is not None or word.number is not None:
                break
            people = people or word.people
            if not word.aux:
                fillers += 1
            if fillers > _MAX_FILLERS or j - q.end >= _MAX_RIGHT:
                break
        elif not word.aux:
            following = tokens.toks[j + 1].word if j + 1 < n and not complement else None
            if following is None or not following.agreeing or tokens.brk(j + 1):
                break
            # "اثنين من أفراد حمايته أصيبا": one genitive word after the noun, then a verb
            # agreeing with the count
            complement = past_adjective = True
        j += 1
    # Leftwards, through linking words only.
    left: tuple[str, int] | None = None
    cue: int | None = None
    i = q.start - 1
    links = 0
    total = False  # the walk passed a total word or "to": a toll's subject may be further back
    while i >= 0 and not tokens.brk(i + 1):
        found_left = _kind_ending_at(tokens, i)
        if found_left is not None:
            # "the death toll among North Korean troops rose to 450", "حصيلة قتلى القوات ... إلى
            # 450": the troops are whose toll it is; the outcome before them is what is counted.
            left = _outcome_before(tokens, found_left) if found_left[0] not in _OUTCOMES else found_left
            break
        word = tokens.toks[i].word
        if word is None:
            # "rose from 300 to 600": read 600 past "from 300 to"
            if _FROM.isdisjoint(_keys(tokens, i - 1)) or _TO.isdisjoint(_keys(tokens, i + 1)):
                break
            i -= 2
            continue
        if word.cue and cue is None:
            cue = i
        if links and i >= 2 and not tokens.brk(i) and not _IN.isdisjoint(_keys(tokens, i - 1)):
            # "troops in Kursk rose to 12,000": a place after the counted noun
            before_place = tokens.word(i - 2)
            if _kind_ending_at(tokens, i - 2) is not None or (before_place is not None and before_place.national):
                i -= 2
                links += 1
                continue
            # "وفيات الكوليرا في السودان إلى 78", "deaths from cholera in Sudan": a kind with its
            # complement before the place
            if before_place is not None and not before_place.stop and i >= 3 and not tokens.brk(i - 1):
                if _kind_ending_at(tokens, i - 3) is not None:
                    i -= 3
                    links += 1
                    continue
        if not (word.link or word.national) or links >= _MAX_LINKS:
            if links and left is None:
                # "the death toll from the ferry disaster has risen to 41": the subject of the
                # rise is further back in the clause
                left = _subject_outcome(tokens, i)
                if left is None and total:
                    left = _toll_subject(tokens, i)
            break
        total = total or not word.keys.isdisjoint(_TOTAL_W) or not word.keys.isdisjoint(_TO)
        links += 1
        i -= 1
    if outcome is not None:
        return outcome[0], q.start, outcome[1]
    end = obj[1] if obj else q.end
    if left is not None and left[0] in _OUTCOMES:
        needs_people = tokens.toks[left[1]].word
        assert needs_people is not None
        if not needs_people.needs_people or people or first_after is None or first_after.stop:
            return left[0], left[1], end
    if obj is not None and obj[0]:
        return obj[0], q.start, obj[1]
    if left is not None and left[0] not in _OUTCOMES:
        return left[0], left[1], q.end
    if q.strong:
        return "troops", q.start, q.end
    if cue is not None and (first_after is None or first_after.stop):
        return "troops", cue, q.end
    return None


def _evidence(tokens: _Tokens, start: int, end: int) -> str:
    span = tokens.text(start, end)
    if len(span) > _EVIDENCE_MAX:
        span = span[: _EVIDENCE_MAX - 1].rstrip() + "…"
    return span
