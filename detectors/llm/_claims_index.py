"""Sentence-level index of one source text (a context document or the prompt).

The claim checks of :mod:`detectors.llm._claims` ask *where* in the source something occurs,
not just *whether*: do two entities of a response sentence ever occur in one source sentence
(a relation), which source sentence does a response sentence rest on (to see a swapped number
or name, or an added negation)? So each source sentence gets a bit, and every content stem
maps to the bitmask of the sentences holding it; "occur together" is one ``&``.

Text is prepared first (:func:`prepare`): words glued by a missing space are split, as in
``"ChristieAgatha Christie wrote"`` or ``"century.First"`` (concatenated snippets, scraped
pages), on the response and the source alike, so both sides tokenise the same way.

Size: a few dicts with one entry per distinct content stem, number and name of the text
(about the text's own size again, see :meth:`SourceIndex.nbytes`); the scorer caches indexes
per document text in a bounded LRU.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from . import _text
from ._categories import categories_of
from ._claims_text import claim_stem, claim_stems, has_turns, is_initials, names_in, split_turns

__all__ = ["HEDGE_RE", "NEGATION_RE", "SourceIndex", "is_year", "name_keys", "numbers_of",
           "prepare", "sentences_of", "spread"]

# Character classes for finding glued words with str.find instead of a regex scan (a regex
# engine steps through every position, ~20 ns each): lower -> "a", upper -> "A", digit ->
# "0", "." stays, closing marks -> "q", everything else ASCII -> " ".
_CLASSES = str.maketrans(
    {**{chr(c): " " for c in range(128)}, **dict.fromkeys(string.ascii_lowercase, "a"),
     **dict.fromkeys(string.ascii_uppercase, "A"), **dict.fromkeys(string.digits, "0"),
     ".": ".", ")": "q", "]": "q", '"': "q", "'": "q"}  # fmt: skip
)
#: Negation cues of a sentence (lower-cased text).
NEGATION_RE = re.compile(
    r"\b(?:not|no|never|none|nothing|neither|nor|cannot|nobody)\b|n[’']t\b"
)
#: Negations that only say the speaker does not know: not a claim about the world.
HEDGE_RE = re.compile(
    r"\b(?:not (?:sure|certain|aware|familiar)|no idea|(?:do|did)(?:n[’']t| not) (?:know|have)"
    r"|ha(?:ve|s)(?:n[’']t| not) (?:seen|read|heard|watched|been)|never (?:seen|read|heard|"
    r"watched|been)|no information|not a (?:big )?fan|can ?not (?:say|tell|find))\b"
)


def prepare(text: str, source: bool = False) -> str:
    """Split words glued by a missing space: ``"ChristieAgatha"`` -> ``"Christie Agatha"``,
    ``"century.First"`` -> ``"century. First"``; speaker tags of a chat transcript end a
    sentence (:func:`~detectors.llm._claims_text.split_turns`). In a source text a glued
    boundary (``"ChristieAgatha"``, ``"Jr.Robert"``, ``"(Film)Zodiac"``, ``"KillA Time"``, two
    years ``"20042004"``: snippets joined without a space) is a line break: it ends a
    sentence, whatever the abbreviation before it."""
    text = split_turns(text)
    cls = text.translate(_CLASSES)
    cuts: dict[int, str] = {}
    for pattern, offset, insert in _GLUES if not source else _SOURCE_GLUES:
        i = cls.find(pattern)
        while i >= 0:
            if _is_glue(pattern, text, cls, i):
                cuts[i + offset] = insert
            i = cls.find(pattern, i + 1)
    if not cuts:
        return text
    pieces, last = [], 0
    for at in sorted(cuts):
        pieces += [text[last:at], cuts[at]]
        last = at
    pieces.append(text[last:])
    return "".join(pieces)


# (pattern in the class string, offset of the cut, text inserted there); later ones win
_GLUES = (("aA", 1, " "), ("a.Aa", 2, " "), ("q.Aa", 2, " "))
_SOURCE_GLUES = (("aA", 1, " "), ("aaAa", 2, "\n"), ("aaA ", 2, "\n"), ("a.Aa", 2, "\n"),
                 ("q.Aa", 2, "\n"), ("qAa", 1, "\n"), ("00000000", 4, "\n"))  # fmt: skip


def _is_glue(pattern: str, text: str, cls: str, i: int) -> bool:
    if pattern == "qAa":  # "(Film)Zodiac", not "D'Onofrio"
        return text[i] in ")]"
    return pattern != "00000000" or _two_years(text, cls, i)


def _two_years(text: str, cls: str, i: int) -> bool:
    """Is ``text[i:i+8]`` two years glued together, with no digit on either side?"""
    if (i and cls[i - 1] == "0") or cls[i + 8 : i + 9] == "0":
        return False
    return all(1000 <= int(text[k : k + 4]) <= 2099 for k in (i, i + 4))


T = TypeVar("T")

_TITLES = frozenset("Mr Mrs Ms Dr Jr Sr St Mt Inc Co Ltd vs No".split())


def _ends_with_abbreviation(sentence: str) -> bool:
    """"... H." or "... Dr.": an initial or a title, not a sentence end."""
    if not sentence.endswith("."):
        return False
    word = sentence[sentence.rfind(" ") + 1 : -1].lstrip("(\"'")
    if len(word) > 3 and "." not in word:  # no title, no initials
        return False
    return word in _TITLES or is_initials(word)


def sentences_of(text: str) -> list[str]:
    """:func:`~detectors.llm._text.split_sentences`, without breaking after an initial or a
    title ("H. G. Wells", "Dr. Who" stay in one sentence) within a line."""
    out: list[str] = []
    for line in text.split("\n") if "\n" in text else (text,):
        glue = False
        for sentence in _text.split_sentences(line):
            if glue:
                out[-1] = f"{out[-1]} {sentence}"
            else:
                out.append(sentence)
            glue = _ends_with_abbreviation(sentence)
    return out


def numbers_of(low: str, words: list[str], with_text: bool = False) -> Any:
    """Number values of a lower-cased sentence and its words (spelled-out ones included);
    ``with_text``: also each value's text as written (the last one, for a repeated value),
    for spelled-out numbers none."""
    found = _text.number_list(low) if _DIGIT(low) else []
    values = {value for _, value in found}
    if not _NUMBER_WORDS.isdisjoint(words):
        values.update(_text.word_number_values(set(words)))
    return (values, {value: text for text, value in found}) if with_text else values


_DIGIT = re.compile(r"\d").search  # a number needs a digit
_NUMBER_WORDS = frozenset(_text.NUMBER_WORDS)


def spread(mask: int, width: int) -> int:
    """``mask`` with each bit ``j`` moved to the count field of ``width`` bytes at byte
    ``j * width``."""
    if mask & (mask - 1) == 0:  # one sentence (most stems): one shift
        return 1 << (8 * width * (mask.bit_length() - 1)) if mask else 0
    value = 0
    while mask:
        low = mask & -mask
        mask ^= low
        value |= 1 << (8 * width * (low.bit_length() - 1))
    return value


def is_year(value: float) -> bool:
    """A whole number from 1000 to 2100."""
    return 1000 <= value <= 2100 and value == int(value)


_keys_memo: dict[str, tuple[str, ...]] = {}


def name_keys(name: str) -> tuple[str, ...]:
    """The content stems of a name (``"the Tower of London"`` -> ``("tower", "london")``);
    the lower-cased tokens when it has no content word (``"AI"`` -> ``("ai",)``). Memoised
    (names recur; the memo is bounded)."""
    got = _keys_memo.get(name)
    if got is None:
        if len(_keys_memo) >= 100_000:
            _keys_memo.clear()
        got = _keys_memo[name] = _name_keys(name)
    return got


def _name_keys(name: str) -> tuple[str, ...]:
    toks = _text.tokens(name.lower())
    keys = tuple(filter(None, map(claim_stem, toks)))
    return keys or tuple(t for t in toks if len(t) > 1)


class SourceIndex:
    """Per-sentence index of one source text.

    * ``stems``: content stem -> bitmask of the sentences holding it (also the stem set);
    * ``bigrams``: adjacent content-stem pairs ``"a b"`` of the whole text;
    * ``tokstr``: the padded token string, for phrase look-ups (``" tower of london "``);
    * ``numbers``: the number values of the text (spelled-out ones included);
    * ``sentence_stems``: the content stems per sentence;
    * :meth:`sentence_numbers`, :meth:`sentence_names`, :meth:`negated`: per sentence, worked
      out on first use (the claim checks only ask about the sentences responses rest on);
    * ``n_words``, ``n_tokens``: numbers of content words and of words;
    * ``sentences``, ``lines`` (lower-cased), ``stem_lists``: per sentence;
    * :attr:`sentence_keys`: sentence text -> its first index; :meth:`quote`: a cache of the
      claim checks' record of a sentence (built by the caller);
    * ``categories`` (:func:`~detectors.llm._categories.categories_of`), ``turns`` (a chat
      transcript's speaker tags), :meth:`name_share`.
    """

    __slots__ = ("_all_numbers", "_categories", "_derived", "_keys", "_low", "_name_share",
                 "_names", "_negated", "_numbers", "_quotes", "_words", "bigrams", "lines",
                 "n_tokens", "n_words", "sentence_stems", "sentences", "stem_lists", "stems",
                 "text", "tokstr", "turns")  # fmt: skip

    def __init__(self, text: str) -> None:
        self.text = text
        sentences = sentences_of(prepare(text, source=True))
        low, words = _text.sentence_tokens(sentences)
        stems = claim_stems(words)
        table: dict[str, int] = {}
        get = table.get
        for i, st in enumerate(stems):
            bit = 1 << i
            for stem in set(st) if len(st) > 8 else st:
                table[stem] = get(stem, 0) | bit
        if "-" in text:  # "2024-03-05" supports "March", in its sentence
            for i, sentence in enumerate(sentences):
                for month in _text.iso_months(sentence) if "-" in sentence else ():
                    table[month] = table.get(month, 0) | 1 << i
        self.stems = table
        self._categories: frozenset[str] | None = None
        self.sentence_stems = list(map(frozenset, stems))
        flat = [stem for st in stems for stem in st]
        self.bigrams = set(map(" ".join, zip(flat, flat[1:], strict=False)))
        tokens = [w for line in words for w in line]
        self.tokstr = f" {' '.join(tokens)} "
        self._all_numbers: set[float] | None = None
        self.n_words = len(flat)
        self.n_tokens = len(tokens)
        self._low = low
        self.sentences, self.lines, self._words = sentences, low.split("\n"), words
        self.stem_lists = stems
        self._keys: dict[str, int] | None = None
        self._quotes: dict[int, object] = {}
        self._derived: dict[tuple[str, int], Any] = {}  # spread tables, numbered masks
        self._numbers: dict[int, frozenset[float]] = {}
        self._names: dict[int, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        self._negated: dict[int, bool] = {}
        self._name_share: float | None = None
        self.turns = has_turns(text)

    def name_share(self) -> float:
        """Share of the text's words that are inside names (a list of facts about named
        entities is name-dense; prose is not). Computed once."""
        if self._name_share is None:
            names = names_in(self.sentences)
            inside = sum(len(_text.tokens(n.lower())) for ns in names for n in ns)
            self._name_share = inside / self.n_tokens if self.n_tokens else 0.0
        return self._name_share

    @property
    def numbers(self) -> set[float]:
        """Number values of the text, spelled-out ones included (worked out on first use)."""
        if self._all_numbers is None:
            self._all_numbers = numbers_of(self._low, self.tokstr.split())
        return self._all_numbers

    @property
    def categories(self) -> frozenset[str]:
        """:func:`~detectors.llm._categories.categories_of` the text's stems (on first use)."""
        if self._categories is None:
            self._categories = categories_of(self.stems.keys())
        return self._categories

    @property
    def sentence_keys(self) -> dict[str, int]:
        """Sentence text -> index of its first occurrence (built on first use)."""
        if self._keys is None:
            keys: dict[str, int] = {}
            for j, sentence in enumerate(self.sentences):
                keys.setdefault(sentence, j)
            self._keys = keys
        return self._keys

    def quote(self, j: int, build: Callable[[SourceIndex, int], T]) -> T:
        """``build(self, j)``, worked out once per sentence and kept."""
        got = self._quotes.get(j, self)
        if got is self:
            got = self._quotes[j] = build(self, j)
        return got  # type: ignore[return-value]

    def spread(self, width: int) -> dict[str, int]:
        """A cache of :func:`spread` of ``stems``' masks, per stem, filled by the caller as
        stems are asked for (kept per width; see ``_claims_lookup.Lookup``)."""
        got = self._derived.get(("spread", width))
        if got is None:
            got = self._derived["spread", width] = {}
        return got  # type: ignore[no-any-return]

    def numbered(self, year: bool) -> int:
        """Mask of the sentences holding a year (``year``) or another number (kept)."""
        got = self._derived.get(("numbered", year))
        if got is None:
            mask = 0
            for j in range(len(self.sentences)):
                if any(is_year(v) == year for v in self.sentence_numbers(j)):
                    mask |= 1 << j
            got = self._derived["numbered", year] = mask
        return got  # type: ignore[no-any-return]

    def sentence_numbers(self, j: int) -> frozenset[float]:
        """Number values of sentence ``j``."""
        got = self._numbers.get(j)
        if got is None:
            got = self._numbers[j] = frozenset(numbers_of(self.lines[j], self._words[j]))
        return got

    def sentence_names(self, j: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(name, its keys (:func:`name_keys`)) of each name in sentence ``j``."""
        got = self._names.get(j)
        if got is None:
            names = names_in([self.sentences[j]])[0]
            got = self._names[j] = tuple((n, k) for n in names if (k := name_keys(n)))
        return got

    def negated(self, j: int) -> bool:
        """Whether sentence ``j`` holds a negation that is not a hedge."""
        got = self._negated.get(j)
        if got is None:
            line = self.lines[j]
            got = self._negated[j] = bool(NEGATION_RE.search(line)) and \
                not HEDGE_RE.search(line)
        return got

    def nbytes(self) -> int:
        """Estimated bytes held by the index (tables, pair strings, sets, texts, per-sentence
        lists), including what the claim checks add on demand (count fields, sentence
        records; measured on the RAG benchmark's chunks)."""
        size = sys.getsizeof(self.stems) + sys.getsizeof(self.bigrams)
        size += 60 * len(self.bigrams) + 140 * len(self.stems) + 300 * len(self.sentence_stems)
        return size + 14 * len(self.tokstr) + 4 * sys.getsizeof(self.text) + 400
