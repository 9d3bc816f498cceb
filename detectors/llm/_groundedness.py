"""Groundedness: is a response supported by its context, judged claim by claim?

:class:`GroundednessScorer` reads what a response asserts (:mod:`detectors.llm._claims`:
numbers, names, negations, relations between entities, sentences resting on a source
sentence) against the context documents and the prompt, and turns that evidence into the
probability that the response is hallucinated (:mod:`detectors.llm._model`, a logistic
regression calibrated on HaluEval's development split). ``score = 1 - probability`` (1 = fully
supported); ``flagged`` is ``score < min_score`` (0.5, where each context size's calibration
put the flag). Contradictions (a swapped number or name, an added negation) weigh more than
absences. ``reasons`` name the evidence, contradictions first, e.g. ``"number contradicts
context: 1995 (context: 2001)"``, ``"category contradicts context: horror (context: comedy)"``,
``"name not in context: Tom Hanks"``, ``"content not in context: \"...\" (20% of its
words)"`` (kinds: :data:`detectors.llm._evidence.REASON_KINDS`).

Reference: ``"context"`` when a non-blank context document is given; ``"prompt"`` when only a
prompt is (scored against it, *not flagged* unless ``flag_without_context``: chat answers
legitimately go beyond the question); ``"none"`` when neither is (``score`` None). A response
that asserts nothing checkable (no content word outside questions, no number, no name: "OK.",
"Have you seen it?") has ``score`` None and is not flagged.

Cost: indexes of context documents are cached per document text in a bounded LRU
(``doc_cache_items``, ``doc_cache_bytes``), as retrieved chunks recur, together with the claim
checks of their sentences (a response sentence quoting one takes them from there); the prompt
is indexed per call. Scoring uses the fast path of
:func:`~detectors.llm._claims.collect_evidence` (same results as its reference path, tested).
The cache is not pickled.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import _model
from ._claims import Evidence, collect_evidence
from ._claims_index import SourceIndex
from ._lexical import Groundedness, Reference
from ._lru import DocumentCached, LRUCache

__all__ = ["Groundedness", "GroundednessScorer", "score_groundedness"]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class GroundednessScorer(DocumentCached):
    """Claim-level groundedness scorer (see the module docstring).

    ``min_score``: flag below this score (0.5 = the calibrated cut). ``flag_without_context``:
    also flag responses scored against the prompt alone.
    """

    def __init__(
        self,
        min_score: float = 0.5,
        flag_without_context: bool = False,
        doc_cache_items: int = 4096,
        doc_cache_bytes: int = 64 << 20,
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score must be in [0, 1], got {min_score}")
        self.min_score = min_score
        self.flag_without_context = flag_without_context
        self._docs = LRUCache(doc_cache_items, doc_cache_bytes)

    def evidence(self, response: str, context: Sequence[str] | str, prompt: str = "",
                 fast: bool = True) -> tuple[Evidence, Reference]:  # fmt: skip
        """The claim evidence of ``response`` and the reference it was checked against
        (``fast=False``: the reference path of :func:`~detectors.llm._claims.collect_evidence`,
        same results, for tests)."""
        if isinstance(context, str):
            context = [context]
        docs = [self._doc_index(d) for d in context if d and not d.isspace()]
        has_prompt = bool(prompt) and not prompt.isspace()
        reference: Reference = "context" if docs else ("prompt" if has_prompt else "none")
        if reference == "none":
            return Evidence(), reference
        if not docs:  # the prompt is all there is: it plays the context's part
            return collect_evidence(response, [SourceIndex(prompt)], None, fast), reference
        return collect_evidence(response, docs, SourceIndex(prompt) if has_prompt else None,
                                fast), reference  # fmt: skip

    def score(self, response: str, context: Sequence[str] | str,
              prompt: str = "") -> Groundedness:  # fmt: skip
        """Score ``response`` against ``context`` documents and ``prompt``."""
        ev, reference = self.evidence(response, context, prompt)
        if reference == "none":
            return Groundedness(score=None, flagged=False, reference="none")
        return self.judge(ev, reference)

    def judge(self, ev: Evidence, reference: Reference = "context") -> Groundedness:
        """The result for evidence already collected (see :meth:`evidence`)."""
        checkable = ev.content or ev.numbers or ev.names
        score = None
        flagged = False
        if checkable:
            p = _model.probability(_model.features(ev), ev.shape)
            score = round(1.0 - p, 6)
            flagged = (reference == "context" or self.flag_without_context) and \
                score < self.min_score
        weakest = ev.weakest
        return Groundedness(
            score=score, flagged=flagged, reference=reference,
            unigram_precision=ev.support, bigram_precision=ev.pair_support if ev.content else None,
            weakest_sentence=weakest[1] if weakest else "",
            weakest_support=weakest[0] if weakest else None,
            unsupported_numbers=_dedupe(ev.unsupported_numbers),
            unsupported_names=_dedupe(ev.unsupported_names),
            reasons=ev.sorted_reasons(), alignment=ev.align,
        )  # fmt: skip

    def _doc_index(self, doc: str) -> SourceIndex:
        index = self._docs.get(doc)
        if index is None:
            index = SourceIndex(doc)
            if self._docs.max_items:
                self._docs.put(doc, index, index.nbytes())
        return index


_DEFAULT = GroundednessScorer()


def score_groundedness(response: str, context: Sequence[str] | str,
                       prompt: str = "") -> Groundedness:  # fmt: skip
    """Score with a process-wide default :class:`GroundednessScorer` (its document cache, at
    most 4,096 documents / about 64 MB, is shared by every caller of this function)."""
    return _DEFAULT.score(response, context, prompt)
