"""LLM-monitoring algorithms: token counting, cost and lexical groundedness.

Pure functions and small config objects: no network, no clock, no Kafka. tiktoken and
genai-prices are imported on first use, so importing this package is cheap.

* Tokens: :func:`count_tokens`, :func:`encoding_name_for`, :func:`is_exact`,
  :func:`tokens_for_event`; :class:`TokenizerDataError` when tiktoken cannot load its BPE
  files offline (the entry point seeds tiktoken's cache at start-up:
  ``tripwire.tiktoken_cache``).
* Cost: :class:`PriceBook` -> :class:`Cost`; :class:`UnknownModelError`.
* Groundedness: :func:`score_groundedness`, :class:`GroundednessScorer` -> :class:`Groundedness`
  (claim evidence, calibrated); :class:`LexicalScorer`, the former word-overlap scorer.
"""

from ._cost import Cost, PriceBook, UnknownModelError
from ._groundedness import Groundedness, GroundednessScorer, score_groundedness
from ._lexical import LexicalScorer
from ._tokens import (
    FALLBACK_ENCODING,
    TokenCount,
    TokenizerDataError,
    count_tokens,
    encoding_name_for,
    is_exact,
    split_provider,
    tokens_for_event,
)

__all__ = [
    "FALLBACK_ENCODING",
    "Cost",
    "Groundedness",
    "GroundednessScorer",
    "LexicalScorer",
    "PriceBook",
    "TokenCount",
    "TokenizerDataError",
    "UnknownModelError",
    "count_tokens",
    "encoding_name_for",
    "is_exact",
    "score_groundedness",
    "split_provider",
    "tokens_for_event",
]
