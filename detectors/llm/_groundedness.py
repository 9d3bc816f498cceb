"""Lexical groundedness (Tier 0): is the response supported by the context and the prompt?

Source = every context document plus the prompt (instructions may legitimately introduce
facts). From the source one call builds, once: the set of content-word stems, the set of
adjacent content-stem bigrams, the set of number values and a padded token string for
phrase look-ups. The response is then checked against those sets:

* ``unigram_precision``: share of response content stems (stop words removed) in the source.
* ``bigram_precision``: share of adjacent response content-stem pairs (within a sentence)
  in the source; defined as ``unigram_precision`` when the response has no pair.
* ``score = unigram_weight * unigram_precision + (1 - unigram_weight) * bigram_precision``.
* ``weakest_sentence``/``weakest_support``: the response sentence with the lowest share of
  supported content stems, among sentences with at least ``min_sentence_words`` content words
  (all sentences when none has that many).
* ``unsupported_numbers``: numbers in the response whose value occurs nowhere in the source
  (``1,000`` = ``1000`` = ``1k``; ``$``, ``%`` and units are ignored, so ``15%`` matches ``15``;
  spelled-out source numbers such as "three" count as 3).
* ``unsupported_names``: capitalised word runs that are not sentence-initial (see
  :func:`detectors.llm._text.name_spans`) and do not occur as a phrase in the source.

Flag rule (:class:`GroundednessScorer` parameters): ``flagged`` is True when ``score <
min_score`` (0.5) or there are more than ``max_unsupported_numbers`` (0) unsupported numbers or
more than ``max_unsupported_names`` (0) unsupported names, or ``weakest_support <
min_sentence_support`` (0.0, i.e. off).

Reference: ``"context"`` when any non-blank context document is given; ``"prompt"`` when only
a prompt is (scored against the prompt alone, but *not flagged* unless
``flag_without_context=True``, since chat answers legitimately go beyond the question);
``"none"`` when neither is: ``score`` is None and nothing is flagged. A response without
content words (empty, "OK.") has ``score`` None; it is flagged only for an unsupported number
or name ("42." against a context without 42).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from . import _text

__all__ = ["Groundedness", "GroundednessScorer", "score_groundedness"]

Reference = Literal["context", "prompt", "none"]


@dataclass(frozen=True, slots=True)
class Groundedness:
    """Result of scoring one response; see the module docstring for each field."""

    score: float | None
    flagged: bool
    reference: Reference
    unigram_precision: float | None = None
    bigram_precision: float | None = None
    weakest_sentence: str = ""
    weakest_support: float | None = None
    unsupported_numbers: list[str] = field(default_factory=list)
    unsupported_names: list[str] = field(default_factory=list)


class _Source:
    """Index of the source text, built once per call; numbers only when the response has any."""

    __slots__ = ("_lower", "_numbers", "_toks", "bigrams", "phrases", "unigrams")

    def __init__(self, texts: Sequence[str]) -> None:
        raw = "\n".join(texts)
        self._lower = raw.lower()
        self._toks = _text.tokens(self._lower)
        stems = _text.content_stems(self._toks)
        months = _text.iso_months(raw)
        self.unigrams = set(stems)
        self.unigrams.update(months)
        self.bigrams = set(zip(stems, stems[1:], strict=False))
        self.phrases = " ".join([" ", *self._toks, *months, " "])
        self._numbers: set[float] | None = None

    @property
    def numbers(self) -> set[float]:
        """Values of all numbers in the source, spelled-out ones ("three") included."""
        if self._numbers is None:
            self._numbers = {value for _, value in _text.number_values(self._lower)}
            self._numbers.update(_text.word_number_values(set(self._toks)))
        return self._numbers

    def has_phrase(self, name: str) -> bool:
        """True when the name's tokens occur consecutively in the source."""
        return f" {' '.join(_text.tokens(name.lower()))} " in self.phrases


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class GroundednessScorer:
    """Lexical groundedness scorer with the flag thresholds as parameters (stateless)."""

    def __init__(
        self,
        min_score: float = 0.5,
        max_unsupported_numbers: int = 0,
        max_unsupported_names: int = 0,
        min_sentence_support: float = 0.0,
        unigram_weight: float = 0.7,
        min_sentence_words: int = 3,
        flag_without_context: bool = False,
    ) -> None:
        for name, value in (("min_score", min_score), ("unigram_weight", unigram_weight),
                            ("min_sentence_support", min_sentence_support)):  # fmt: skip
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if min(max_unsupported_numbers, max_unsupported_names, min_sentence_words) < 0:
            raise ValueError("counts must be >= 0")
        self.min_score = min_score
        self.max_unsupported_numbers = max_unsupported_numbers
        self.max_unsupported_names = max_unsupported_names
        self.min_sentence_support = min_sentence_support
        self.unigram_weight = unigram_weight
        self.min_sentence_words = min_sentence_words
        self.flag_without_context = flag_without_context

    def score(self, response: str, context: Sequence[str], prompt: str = "") -> Groundedness:
        """Score ``response`` against ``context`` documents and ``prompt``."""
        if isinstance(context, str):
            context = [context]
        docs = [d for d in context if d and not d.isspace()]
        reference: Reference = "context" if docs else ("prompt" if prompt.strip() else "none")
        if reference == "none":
            return Groundedness(score=None, flagged=False, reference="none")
        source = _Source([*docs, prompt] if prompt else docs)
        return self._score(response, source, reference)

    def _score(self, response: str, source: _Source, reference: Reference) -> Groundedness:
        uni_hit = uni_all = bi_hit = bi_all = 0
        weakest: tuple[float, str] | None = None
        fallback: tuple[float, str] | None = None
        names: list[str] = []
        sentences = _text.split_sentences(response)
        for sentence in sentences:
            stems = _text.content_stems(_text.tokens(sentence.lower()))
            names.extend(n for n in _text.name_spans(sentence) if not source.has_phrase(n))
            if not stems:
                continue
            hits = sum(1 for s in stems if s in source.unigrams)
            pairs = list(zip(stems, stems[1:], strict=False))
            uni_hit, uni_all = uni_hit + hits, uni_all + len(stems)
            bi_hit += sum(1 for p in pairs if p in source.bigrams)
            bi_all += len(pairs)
            candidate = (hits / len(stems), sentence)
            if len(stems) >= self.min_sentence_words:
                weakest = min(weakest or candidate, candidate, key=lambda c: c[0])
            fallback = min(fallback or candidate, candidate, key=lambda c: c[0])
        values = list(_text.number_values("\n".join(sentences).lower()))
        numbers = [raw for raw, v in values if v not in source.numbers] if values else []
        return self._result(uni_hit, uni_all, bi_hit, bi_all, weakest or fallback,
                            _dedupe(numbers), _dedupe(names), reference)  # fmt: skip

    def _result(
        self,
        uni_hit: int,
        uni_all: int,
        bi_hit: int,
        bi_all: int,
        weakest: tuple[float, str] | None,
        numbers: list[str],
        names: list[str],
        reference: Reference,
    ) -> Groundedness:
        score = uni = bi = None
        if uni_all:
            uni = uni_hit / uni_all
            bi = bi_hit / bi_all if bi_all else uni
            score = self.unigram_weight * uni + (1.0 - self.unigram_weight) * bi
        support = weakest[0] if weakest else None
        flagged = (reference == "context" or self.flag_without_context) and (
            (score is not None and score < self.min_score)
            or len(numbers) > self.max_unsupported_numbers
            or len(names) > self.max_unsupported_names
            or (support is not None and support < self.min_sentence_support)
        )
        return Groundedness(score, bool(flagged), reference, uni, bi,
                            weakest[1] if weakest else "", support, numbers, names)  # fmt: skip


_DEFAULT = GroundednessScorer()


def score_groundedness(response: str, context: Sequence[str], prompt: str = "") -> Groundedness:
    """Score with the default :class:`GroundednessScorer` (see the module docstring)."""
    return _DEFAULT.score(response, context, prompt)
