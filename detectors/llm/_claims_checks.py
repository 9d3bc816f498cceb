"""The per-sentence claim checks of :mod:`detectors.llm._claims` (see its docstring).

Each check reads one response sentence (:class:`Sentence`, after :func:`find` looked its
words, names and numbers up) and adds counts and reasons to an
:class:`~detectors.llm._evidence.Evidence`. Two of them have a fast variant with the same
results, used by the scorer's fast path (a test holds both paths equal on every development
response): :func:`rival_number_fast` visits the candidate source sentences from the most
words shared down and stops at the first with a rival number, instead of visiting them all;
``negation(..., screen=True)`` skips the regular expressions when no cue word occurs.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence

from . import _text
from ._claims_index import HEDGE_RE, NEGATION_RE, SourceIndex, is_year, name_keys, numbers_of
from ._claims_lookup import ABSENT, SUPPORTED, Lookup, count_planes, counts, together
from ._claims_text import claim_stem
from ._evidence import (
    CONTENT,
    NAME,
    NAME_CONTRADICTED,
    NEGATION,
    NUMBER,
    NUMBER_CONTRADICTED,
    RELATION,
    Evidence,
)

__all__ = ["CORRECTION_RE", "PHATIC", "Sentence", "align", "align_fast", "entity_claim", "excerpt",
           "find", "names", "negation", "numbers", "relations", "rival_number", "rival_number_fast",
           "substitution", "support"]

CORRECTION_RE = re.compile(r"\b(?:actually|in fact|instead|contrary to|rather than)\b")
_CORRECTION_CUES = ("actually", "fact", "instead", "contrary", "rather")
# every negation and hedge cue holds one of these (a screen before the regexes)
_NEGATION_CUES = ("no", "never", "neither", "n't", "n’t")

_WEAK_SENTENCE = 0.5  # a sentence with less support than this is named as a reason
_EXCERPT = 80
CHAT_SUPPORT = 0.0  # a sentence without names or numbers and at most this support: chit-chat

#: Words that only keep a conversation going; a sentence of nothing else (no name, no
#: number) asserts nothing: "Thanks, enjoy!", "Hope this helps, let me know."
PHATIC = frozenset(filter(None, map(claim_stem, """thank thanks hope help helps helpful enjoy
    welcome glad great happy question questions know like love good nice cool awesome fun
    wonderful amazing excellent fantastic perfect absolutely definitely certainly course
    indeed agree yeah yep yup hey hello hi bye goodbye sorry apologize wish luck day ask
    feel free anything else check think guess maybe enjoyed loved liked""".split())))


def excerpt(sentence: str) -> str:
    return sentence if len(sentence) <= _EXCERPT else sentence[: _EXCERPT - 1] + "…"


class Sentence:
    """One non-question response sentence being checked."""

    __slots__ = ("aligned", "chat", "counts", "in_context", "line", "names", "phatic", "planes",
                 "quote",
                 "raw", "sentence", "shared", "stem_list", "stems", "unsupported", "values",
                 "wide", "words")

    def __init__(self, sentence: str, line: str, words: list[str], stems: list[str]) -> None:
        self.sentence, self.line, self.words = sentence, line, words
        self.stem_list = stems
        self.stems = frozenset(stems)
        self.names: list[tuple[str, tuple[str, ...], int]] = []
        self.shared: int = 0
        self.aligned: tuple[SourceIndex, int] | None = None
        self.unsupported = self.in_context = 0
        self.chat = self.phatic = self.quote = False
        self.values: set[float] = set()
        self.raw: dict[float, str] = {}  # number value -> its text (the last one written)
        self.wide = 0
        self.planes: list[int] = []
        self.counts: bytes | array = b""


def is_quote(s: Sentence, look: Lookup) -> bool:
    """Do the sentence's words occur, in order and contiguous, in one source text?"""
    st = s.stem_list
    if not st or not all(map(look.where.get, st)):
        return False
    if not all(map(look.pairs.__contains__, map(" ".join, zip(st, st[1:], strict=False)))):
        return False
    needle = f" {' '.join(s.words)} "
    return any(needle in part.tokstr for part in look.parts)


def find(s: Sentence, look: Lookup, found_names: list[str]) -> None:
    """Look the sentence's words, numbers and names (``found_names``) up; mark it chit-chat
    when it names nothing, holds no number and at most ``CHAT_SUPPORT`` of its words occur in
    the source, and phatic when all its words are :data:`PHATIC`."""
    for name in found_names:
        keys = name_keys(name)
        if keys:
            s.names.append((name, keys, look.name_status(name, keys)))
    found = list(map(look.where.__getitem__, s.stem_list))
    s.unsupported, s.in_context = found.count(0), found.count(2)
    s.values, s.raw = numbers_of(s.line, s.words, with_text=True)
    hits = len(s.stem_list) - s.unsupported
    plain = not s.names and not s.values
    s.chat = plain and hits <= CHAT_SUPPORT * len(s.stem_list)
    s.phatic = plain and PHATIC.issuperset(s.stem_list)


def align(s: Sentence, look: Lookup) -> None:
    """Set ``s.shared``/``s.aligned`` to the source sentence sharing the most stems with
    ``s`` (the first such one), and ``s.wide`` to the mask of sentences sharing two or more."""
    planes = s.planes = count_planes(s.stems, look.masks)
    wide = 0
    for plane in planes[1:]:
        wide |= plane
    s.wide = wide
    candidates, count = _top(planes, -1)
    if count:
        s.shared = count
        s.aligned = look.locate((candidates & -candidates).bit_length() - 1)


def align_fast(s: Sentence, look: Lookup) -> None:
    """:func:`align` from :func:`~detectors.llm._claims_lookup.counts` (a :class:`Lookup`
    with count fields): the highest count and its first sentence in two C-level calls. Sets
    ``s.counts`` for :func:`rival_number_fast`, not ``s.wide``."""
    s.counts = found = counts(s.stems, look)
    count = max(found, default=0)
    if count:
        s.shared = count
        s.aligned = look.locate(found.index(count))


def _top(planes: list[int], mask: int) -> tuple[int, int]:
    """(sentences of ``mask`` with the highest count, that count) from count planes."""
    candidates, count = mask, 0
    for k in range(len(planes) - 1, -1, -1):
        hit = candidates & planes[k]
        if hit:
            candidates, count = hit, count | 1 << k
    return candidates, count


def support(ev: Evidence, s: Sentence, look: Lookup,
            aligner: Callable[[Sentence, Lookup], None] = align) -> None:  # fmt: skip
    st = s.stem_list
    if not st:
        return
    hits = len(st) - s.unsupported
    ev.in_context += s.in_context
    ev.content += len(st)
    ev.supported += hits
    pairs = list(map(" ".join, zip(st, st[1:], strict=False)))
    ev.pairs += len(pairs)
    ev.supported_pairs += sum(map(look.pairs.__contains__, pairs))
    aligner(s, look)
    ev.align_sum += s.shared / len(s.stems)
    ev.sentences += 1
    share = hits / len(st)
    if ev.weakest is None or share < ev.weakest[0]:
        ev.weakest = (share, s.sentence)
    if share < _WEAK_SENTENCE and len(st) >= 3:
        ev.add_reason(CONTENT, f'"{excerpt(s.sentence)}" ({share:.0%} of its words)')


def names(ev: Evidence, s: Sentence) -> None:
    for name, keys, status in s.names:
        ev.names += 1
        if status == SUPPORTED:
            continue
        ev.unsupported_names.append(name)
        other = _other_name(s, keys)
        if other:
            ev.names_contradicted += 1
            ev.add_reason(NAME_CONTRADICTED, f"{name} (context: {other})")
        elif status == ABSENT:
            ev.names_absent += 1
            ev.add_reason(NAME, name)
        else:
            ev.names_partial += 1
            ev.add_reason(NAME, f"{name} (partly)")


def _other_name(s: Sentence, keys: tuple[str, ...]) -> str:
    """A name of the aligned source sentence that the response sentence lacks ("" if none),
    when the two sentences share a name and a word outside names (the same statement about
    the same entity, with another name in it)."""
    if s.aligned is None or s.shared < 2:
        return ""
    part, j = s.aligned
    shared = s.stems & part.sentence_stems[j]
    in_names = {k for _, ks, _ in s.names for k in ks}
    if not shared & in_names or not shared - in_names:
        return ""
    for shown, other in part.sentence_names(j):
        if other != keys and not s.stems.intersection(other):
            return shown
    return ""


Rival = Callable[[Sentence, float, str, set[float], Lookup], "float | None"]


def _anchor_mask(s: Sentence, raw: str, look: Lookup) -> int:
    """Mask of the source sentences holding the word the number is attached to (the last
    content word before it: "released" in "it was released in 1995"), if the sentence has
    that word."""
    before = s.line[: max(0, s.line.find(raw))]
    anchor = next((st for st in map(claim_stem, reversed(_text.tokens(before))) if st), "")
    return look.masks.get(anchor, 0) if anchor in s.stems else 0


def _rival_in(part: SourceIndex, j: int, values: set[float], kind: bool) -> float | None:
    return next((v for v in part.sentence_numbers(j)
                 if v not in values and is_year(v) == kind), None)  # fmt: skip


def rival_number(s: Sentence, value: float, raw: str, values: set[float],
                 look: Lookup) -> float | None:  # fmt: skip
    """A number of the same kind (year or not) that a source sentence about the same thing
    holds instead: one sharing the word the number is attached to or two words with the
    response sentence. The sentence sharing the most words wins (the first on a tie); None
    if there is none."""
    kind = is_year(value)
    best: tuple[int, float] | None = None
    mask = s.wide | _anchor_mask(s, raw, look)
    while mask:
        low = mask & -mask
        mask ^= low
        part, j = look.locate(low.bit_length() - 1)
        shared = len(s.stems & part.sentence_stems[j])
        if best and shared <= best[0]:
            continue
        rival = _rival_in(part, j, values, kind)
        if rival is not None:
            best = (shared, rival)
    return None if best is None else best[1]


def rival_number_fast(s: Sentence, value: float, raw: str, values: set[float],
                      look: Lookup) -> float | None:  # fmt: skip
    """:func:`rival_number` from the counts of :func:`align_fast`, visiting only the
    candidates that hold a number of the value's kind, the sentences sharing the most words
    first (the first on a tie), so the first one with a rival is the answer."""
    kind = is_year(value)
    numbered = look.numbered(kind)  # the others hold no rival
    found = s.counts
    if not numbered or not found:
        return None
    anchor = _anchor_mask(s, raw, look)
    if look.width == 1:  # candidates by C-level byte operations
        wide = int.from_bytes(bytes(found).translate(_AT_LEAST_TWO), "little") | anchor
        hits = (wide & look.numbered_fields(kind)).to_bytes(len(found), "little")
        candidates = []
        j = hits.find(1)
        while j >= 0:
            candidates.append((-found[j], j))
            j = hits.find(1, j + 1)
    else:
        candidates = _candidates(found, numbered, _fields(anchor, look) if anchor else b"")
    for _, j in sorted(candidates):
        part, i = look.locate(j)
        rival = _rival_in(part, i, values, kind)
        if rival is not None:
            return rival
    return None


# count byte -> 1 if it is 2 or more (a sentence sharing two words), else 0
_AT_LEAST_TWO = bytes([0, 0] + [1] * 254)


def _candidates(found: bytes | array, numbered: int,
                near: bytes | array) -> list[tuple[int, int]]:  # fmt: skip
    """(-count, sentence) of the numbered sentences sharing two words or the attached one."""
    out = []
    while numbered:
        low = numbered & -numbered
        numbered ^= low
        j = low.bit_length() - 1
        count = found[j] if j < len(found) else 0
        if count >= 2 or (j < len(near) and near[j]):
            out.append((-count, j))
    return out


def _fields(mask: int, look: Lookup) -> bytes | array:
    """The count fields of a count-field mask (as :func:`~._claims_lookup.counts` gives)."""
    width = look.width
    raw = mask.to_bytes((mask.bit_length() + 8 * width - 1) // (8 * width) * width, "little")
    return raw if width == 1 else array({2: "H", 4: "I"}[width], raw)


def numbers(ev: Evidence, s: Sentence, look: Lookup, rival: Rival = rival_number) -> None:
    values = s.values
    if not values:
        return
    raw = s.raw
    for value in values:
        ev.numbers += 1
        if value in look.numbers:
            continue
        text = raw.get(value, f"{value:g}")
        ev.unsupported_numbers.append(text)
        other = rival(s, value, text, values, look)
        if other is not None:
            ev.numbers_contradicted += 1
            ev.add_reason(NUMBER_CONTRADICTED, f"{text} (context: {other:g})")
        else:
            ev.numbers_absent += 1
            ev.add_reason(NUMBER, text)


def negation(ev: Evidence, s: Sentence, screen: bool = False) -> None:
    """A negation the aligned source sentence does not make (or the reverse, but not for a
    quote), a negated statement about a source entity, a correction ("actually"). With
    ``screen``, the regular expressions run only on lines holding one of their cue words."""
    line = s.line
    cue = not screen or any(c in line for c in _NEGATION_CUES)
    hedged = cue and HEDGE_RE.search(line)
    negated = cue and bool(NEGATION_RE.search(line)) and not hedged
    if not hedged and (not screen or any(c in line for c in _CORRECTION_CUES)) and \
            CORRECTION_RE.search(line):  # "I'm actually not sure" corrects nothing
        ev.corrections += 1
    if s.aligned is not None and s.shared >= 2 and s.shared >= 0.5 * len(s.stems):
        part, j = s.aligned
        if negated != part.negated(j) and (negated or not s.quote):
            ev.negations += 1
            ev.add_reason(NEGATION, f'"{excerpt(s.sentence)}"')
            return
    if s.aligned is not None and s.aligned[0].negated(s.aligned[1]):
        return  # the source sentence it rests on says "not" too
    if negated and any(status == SUPPORTED for _, _, status in s.names):
        ev.negations += 1
        ev.add_reason(NEGATION, f'"{excerpt(s.sentence)}"')


def relations(ev: Evidence, s: Sentence, parts: Sequence[SourceIndex], n_context: int) -> None:
    """Two supported names next to each other that no source sentence (or two adjacent
    ones) holds together."""
    if s.quote:  # the source says exactly this
        return
    known = [(name, keys) for name, keys, status in s.names if status == SUPPORTED]
    sources = parts[:n_context] or parts
    for (a, ka), (b, kb) in zip(known, known[1:], strict=False):
        if ka != kb and not set(ka) & set(kb) and not together(ka, kb, sources):
            ev.relations += 1
            ev.add_reason(RELATION, f"{a} + {b}")


def entity_claim(ev: Evidence, s: Sentence, context: Sequence[SourceIndex]) -> None:
    """A sentence that names a context entity and adds words or names the source lacks."""
    if not any(status == SUPPORTED and any(k in part.stems for part in context for k in keys)
               for _, keys, status in s.names):
        return
    if s.unsupported or any(status == ABSENT for _, _, status in s.names):
        ev.entity_claims += 1


def substitution(ev: Evidence, s: Sentence) -> None:
    """The sentence restates a source statement about the same entity (a shared name word and
    a shared other word) but swaps its remaining words for words the source lacks."""
    if s.aligned is None or s.shared < 2 or not s.unsupported:
        return
    part, j = s.aligned
    theirs = part.sentence_stems[j]
    shared = s.stems & theirs
    in_names = {k for _, ks, _ in s.names for k in ks}
    if shared & in_names and shared - in_names and theirs - s.stems:
        ev.substitutions += 1
