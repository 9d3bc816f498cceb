"""Word-overlap groundedness: the scorer Tripwire used before claim evidence (the baseline).

:class:`LexicalScorer` is kept as the documented baseline of ``docs/detection-quality.md`` and
for callers that want plain overlap figures; the worker uses
:class:`~detectors.llm.GroundednessScorer`, which judges claims. On HaluEval's development
split this scorer flags 83 % of grounded dialogue answers and 43 % of grounded summaries.

Source = every context document plus the prompt (instructions may legitimately introduce
facts), read as the documents and the prompt joined by line breaks. Its index: the set of
content-word stems, the set of adjacent content-stem bigrams, the set of number values and a
padded token string for phrase look-ups. The index is built per document and combined per
call (:mod:`detectors.llm._source`), and each document's part is cached in a bounded LRU, since
retrieved chunks recur; results are exactly those of indexing the joined text (a test keeps
the former implementation as the oracle). The response is then checked against those sets:

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

Flag rule (:class:`LexicalScorer` parameters): ``flagged`` is True when ``score <
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
from ._lru import DocumentCached, LRUCache
from ._source import Source, TextIndex, index_size, sentence_pairs

__all__ = ["Groundedness", "LexicalScorer", "Reference"]

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
    reasons: list[str] = field(default_factory=list)
    alignment: float | None = None


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class LexicalScorer(DocumentCached):
    """Word-overlap groundedness scorer with the flag thresholds as parameters.

    Results depend only on the arguments of :meth:`score`. The scorer keeps a bounded LRU of
    context-document indexes (``doc_cache_items`` documents, about ``doc_cache_bytes`` bytes;
    ``doc_cache_items=0`` turns it off), keyed by the document text, so a retrieved chunk seen
    again is not re-tokenised. The cache is not pickled: an unpickled scorer starts empty.
    """

    def __init__(
        self,
        min_score: float = 0.5,
        max_unsupported_numbers: int = 0,
        max_unsupported_names: int = 0,
        min_sentence_support: float = 0.0,
        unigram_weight: float = 0.7,
        min_sentence_words: int = 3,
        flag_without_context: bool = False,
        doc_cache_items: int = 4096,
        doc_cache_bytes: int = 64 << 20,
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
        self._docs = LRUCache(doc_cache_items, doc_cache_bytes)

    def score(self, response: str, context: Sequence[str], prompt: str = "") -> Groundedness:
        """Score ``response`` against ``context`` documents and ``prompt``."""
        if isinstance(context, str):
            context = [context]
        parts = [self._doc_index(d) for d in context if d and not d.isspace()]
        reference: Reference = "context" if parts else ("prompt" if prompt.strip() else "none")
        if reference == "none":
            return Groundedness(score=None, flagged=False, reference="none")
        if prompt:
            parts.append(TextIndex(prompt))
        return self._score(response, Source(parts), reference)

    def _doc_index(self, doc: str) -> TextIndex:
        index = self._docs.get(doc)
        if index is None:
            index = TextIndex(doc)
            if self._docs.max_items:
                self._docs.put(doc, index, index_size(index))
        return index

    def _score(self, response: str, source: Source, reference: Reference) -> Groundedness:
        sentences = _text.split_sentences(response)
        low, words = _text.sentence_tokens(sentences)
        stems = _text.sentence_stems(words)
        pairs = sentence_pairs(stems)
        absent_pairs = source.missing_pairs(set(pairs)) if pairs else None
        bi_miss = sum(map(absent_pairs.__contains__, pairs)) if absent_pairs else 0
        missing = source.missing_stems(set().union(*stems))
        uni_hit, uni_all, weakest = self._support(sentences, stems, missing)
        names = source.absent_names(_text.names_in(sentences))
        values = _text.number_list(low) if low else []
        absent = source.missing_numbers({v for _, v in values}) if values else ()
        numbers = [raw for raw, v in values if v in absent]
        return self._result(uni_hit, uni_all, len(pairs) - bi_miss, len(pairs), weakest,
                            _dedupe(numbers), _dedupe(names), reference)  # fmt: skip

    def _support(
        self, sentences: list[str], stems: list[list[str]], missing: set[str]
    ) -> tuple[int, int, tuple[float, str] | None]:
        """(supported stems, all stems, weakest sentence as (support, sentence) or None)."""
        uni_hit = uni_all = 0
        weakest: tuple[float, str] | None = None
        fallback: tuple[float, str] | None = None
        for sentence, st in zip(sentences, stems, strict=True):
            if not st:
                continue
            n = len(st)
            hits = n - sum(map(missing.__contains__, st)) if missing else n
            uni_hit, uni_all = uni_hit + hits, uni_all + n
            support = hits / n
            if n >= self.min_sentence_words and (weakest is None or support < weakest[0]):
                weakest = (support, sentence)
            if fallback is None or support < fallback[0]:
                fallback = (support, sentence)
        return uni_hit, uni_all, weakest or fallback

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
