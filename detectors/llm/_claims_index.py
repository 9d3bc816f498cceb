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
import sys

from . import _text

__all__ = ["HEDGE_RE", "NEGATION_RE", "SourceIndex", "name_keys", "numbers_of", "prepare",
           "sentences_of"]

_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
# Two snippets glued together ("ChristieAgatha Christie", "released 20042004 was the year"):
# a sentence boundary in a source.
_GLUED_RE = re.compile(
    r"(?<=[a-z]{2})(?=[A-Z][a-z])|(?<=\b(?:1[0-9]|20)\d\d)(?=(?:1[0-9]|20)\d\d\b)"
)
_GLUED_STOP_RE = re.compile(r"(?<=[a-z)\]\"'])\.(?=[A-Z][a-z])")
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
    """Split words glued by a missing space (``"ChristieAgatha"``, ``"century.First"``); in a
    source text, a glued word boundary also ends a sentence (snippets joined without space)."""
    if "." in text:
        text = _GLUED_STOP_RE.sub(". ", text)
    if source:
        text = _GLUED_RE.sub(". ", text)
    return _CAMEL_RE.sub(" ", text)


_ABBREV_END_RE = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|Jr|Sr|St|Mt|Inc|Co|Ltd|vs|No))\.$")


def sentences_of(text: str) -> list[str]:
    """:func:`~detectors.llm._text.split_sentences`, without breaking after an initial or a
    title ("H. G. Wells", "Dr. Who" stay in one sentence)."""
    out: list[str] = []
    glue = False
    for sentence in _text.split_sentences(text):
        if glue:
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
        glue = _ABBREV_END_RE.search(sentence) is not None
    return out


def numbers_of(low: str, words: list[str]) -> set[float]:
    """Number values of a lower-cased sentence and its words (spelled-out ones included)."""
    values = {value for _, value in _text.number_list(low)} if low else set()
    if _text.NUMBER_WORDS.keys() & set(words):
        values.update(_text.word_number_values(set(words)))
    return values


def name_keys(name: str) -> tuple[str, ...]:
    """The content stems of a name (``"the Tower of London"`` -> ``("tower", "london")``);
    the lower-cased tokens when it has no content word (``"AI"`` -> ``("ai",)``)."""
    toks = _text.tokens(name.lower())
    keys = tuple(filter(None, map(_text.stem, toks)))
    return keys or tuple(t for t in toks if len(t) > 1)


class SourceIndex:
    """Per-sentence index of one source text.

    * ``stems``: content stem -> bitmask of the sentences holding it (also the stem set);
    * ``bigrams``: adjacent content-stem pairs ``"a b"`` of the whole text;
    * ``tokstr``: the padded token string, for phrase look-ups (``" tower of london "``);
    * ``negated``: bitmask of the sentences with a negation (not a hedge);
    * ``numbers``: value -> bitmask; ``sentence_numbers``: the values per sentence;
    * ``sentence_names``: the name keys (:func:`name_keys`) per sentence;
    * ``n_words``: number of content words.
    """

    __slots__ = ("bigrams", "n_words", "negated", "numbers", "sentence_names",
                 "sentence_numbers", "sentence_stems", "stems", "text", "tokstr")  # fmt: skip

    def __init__(self, text: str) -> None:
        self.text = text
        sentences = sentences_of(prepare(text, source=True))
        low, words = _text.sentence_tokens(sentences)
        stems = _text.sentence_stems(words)
        self.stems: dict[str, int] = {}
        self.numbers: dict[float, int] = {}
        self.negated = 0
        self.sentence_numbers: list[frozenset[float]] = []
        self.sentence_names: list[tuple[tuple[str, ...], ...]] = []
        self.sentence_stems: list[frozenset[str]] = []
        flat: list[str] = []
        for i, (sentence, line, w, st) in enumerate(
                zip(sentences, low.split("\n"), words, stems, strict=True)):  # fmt: skip
            bit = 1 << i
            for stem in st:
                self.stems[stem] = self.stems.get(stem, 0) | bit
            flat += st
            values = numbers_of(line, w)
            for value in values:
                self.numbers[value] = self.numbers.get(value, 0) | bit
            self.sentence_numbers.append(frozenset(values))
            self.sentence_names.append(tuple(map(name_keys, _text.names_in([sentence]))))
            self.sentence_stems.append(frozenset(st))
            if NEGATION_RE.search(line) and not HEDGE_RE.search(line):
                self.negated |= bit
        for month in _text.iso_months(text) if "-" in text else ():
            self.stems.setdefault(month, 0)
        self.bigrams = set(map(" ".join, zip(flat, flat[1:], strict=False)))
        self.tokstr = " " + " ".join(w for line in words for w in line) + " "
        self.n_words = len(flat)

    def nbytes(self) -> int:
        """Estimated bytes held by the index (tables, pair strings, sets, texts)."""
        size = sys.getsizeof(self.stems) + sys.getsizeof(self.bigrams)
        size += 60 * len(self.bigrams) + 80 * len(self.stems) + 200 * len(self.sentence_stems)
        return size + 2 * len(self.tokstr) + sys.getsizeof(self.text) + 400
