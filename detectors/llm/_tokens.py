"""Token counting: provider ``usage`` first, tiktoken (offline, seeded cache) otherwise.

tiktoken reads its BPE files from its cache; the entry point seeds that cache once at
start-up (``tripwire.tiktoken_cache.ensure_tiktoken_cache``). This module does no file or
environment I/O of its own: when tiktoken cannot load an encoding (cache not seeded, no
network), :class:`TokenizerDataError` says so and names the fix.

Model name -> encoding (after lower-casing and stripping a provider prefix such as
``openai/`` or ``azure/`` and a fine-tune prefix ``ft:``):

* ``o200k_base`` (exact): ``gpt-4o*``, ``chatgpt-4o*``, ``gpt-4.1*``, ``gpt-4.5*``, ``gpt-5*``,
  ``gpt-oss*`` (o200k_harmony has the same ranks and split pattern, so plain-text counts are
  identical), ``o1``/``o3``/``o4`` and their ``-mini``/dated variants.
* ``cl100k_base`` (exact): ``gpt-4``, ``gpt-4-*``, ``gpt-3.5*``, ``gpt-35*``,
  ``text-embedding-3-*``, ``text-embedding-ada-002``, ``davinci-002``, ``babbage-002``.
* anything else (Claude, Gemini, Llama, Mistral, legacy GPT-3, unknown): ``cl100k_base`` as an
  **approximation**; :func:`is_exact` returns ``False`` for these models.

Special-token strings in the text are counted as ordinary text (``encode_ordinary``), so a
prompt containing ``<|endoftext|>`` is counted, never rejected.

Context documents (retrieved chunks, which recur) are counted through a bounded LRU keyed by
``(encoding, text)``: 8,192 entries or about 64 MB, whichever is reached first. Prompts and
responses are unique per event and are always encoded. ``encode_ordinary_batch`` is not used:
it starts a thread pool per call, which costs more than it saves on one event's few texts.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any, NamedTuple

from ._lru import LRUCache

__all__ = [
    "FALLBACK_ENCODING",
    "TokenCount",
    "TokenizerDataError",
    "count_tokens",
    "encoding_name_for",
    "is_exact",
    "split_provider",
    "tokens_for_event",
]

#: Encoding used for models that are not OpenAI models (an approximation).
FALLBACK_ENCODING = "cl100k_base"

_O200K = re.compile(r"(?:chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o[134](?:-|$))")
_CL100K = re.compile(
    r"(?:gpt-4(?:-|$)|gpt-3\.5|gpt-35|text-embedding-3-|text-embedding-ada-002"
    r"|davinci-002|babbage-002)"
)
_encoders: dict[str, Any] = {}
_classified: dict[str, tuple[str, bool]] = {}
_CLASSIFIED_MAX = 4096
#: Token counts of context documents, keyed by (encoding name, text).
_doc_counts = LRUCache(max_items=8192, max_bytes=64 << 20)


class TokenizerDataError(ValueError):
    """tiktoken's BPE data is missing or does not match the hash tiktoken expects."""


class TokenCount(NamedTuple):
    """Input (prompt + context docs) and output (response) tokens, and where they came from."""

    input_tokens: int
    output_tokens: int
    source: str  # "usage" (both from the event) or "tiktoken" (at least one counted here)


def split_provider(llm_model: str) -> tuple[str | None, str]:
    """``"openai/gpt-4o"`` -> ``("openai", "gpt-4o")``; ``"gpt-4o"`` -> ``(None, "gpt-4o")``.

    Only the first ``/`` splits; the name is lower-cased and stripped.
    """
    name = llm_model.strip().lower()
    provider, sep, rest = name.partition("/")
    return (provider, rest) if sep and provider and rest else (None, name)


def _classify(llm_model: str) -> tuple[str, bool]:
    hit = _classified.get(llm_model)
    if hit is None:
        name = split_provider(llm_model)[1].removeprefix("ft:")
        if _O200K.match(name):
            hit = ("o200k_base", True)
        elif _CL100K.match(name):
            hit = ("cl100k_base", True)
        else:
            hit = (FALLBACK_ENCODING, False)
        if len(_classified) >= _CLASSIFIED_MAX:
            _classified.clear()
        _classified[llm_model] = hit
    return hit


def encoding_name_for(llm_model: str) -> str:
    """tiktoken encoding used to count tokens for ``llm_model`` (see module docstring)."""
    return _classify(llm_model)[0]


def is_exact(llm_model: str) -> bool:
    """True when the encoding is the model's own; False when it is the cl100k approximation."""
    return _classify(llm_model)[1]


def _encoder(name: str) -> Any:
    enc = _encoders.get(name)
    if enc is None:
        import tiktoken  # lazy: ~20 ms import, and only needed without provider usage

        try:
            enc = tiktoken.get_encoding(name)
        except (OSError, ValueError) as exc:  # a download attempt that failed, a bad hash
            raise TokenizerDataError(
                f"tiktoken cannot load the {name} encoding offline ({type(exc).__name__}: "
                f"{exc}). Fix: seed its cache once at start-up with "
                "tripwire.tiktoken_cache.ensure_tiktoken_cache() (the tripwire commands "
                "do), or point TIKTOKEN_CACHE_DIR at a seeded cache.") from exc
        _encoders[name] = enc
    return enc


def count_tokens(llm_model: str, text: str) -> int:
    """Number of tokens of ``text`` under ``llm_model``'s encoding (offline tiktoken)."""
    if not text:
        return 0
    return len(_encoder(encoding_name_for(llm_model)).encode_ordinary(text))


def _docs_tokens(encoding: str, docs: list[str]) -> int:
    """Tokens of context documents, each through the ``(encoding, text)`` LRU."""
    get = _doc_counts.get
    total = 0
    for doc in docs:
        key = (encoding, doc)
        count = get(key)
        if count is None:
            count = _count_text(encoding, doc)
            _doc_counts.put(key, count, sys.getsizeof(doc) + 160)
        total += count
    return total


def _get(obj: Any, name: str) -> Any:
    if type(obj) is dict:
        return obj.get(name)
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _usage(event: Any) -> tuple[int | None, int | None]:
    """(input, output) from ``event.usage`` (OpenAI or Anthropic names) or top-level fields."""
    usage = _get(event, "usage")
    src = usage if usage is not None else event
    inp = _count(_get(src, "input_tokens"))
    out = _count(_get(src, "output_tokens"))
    if inp is None:
        inp = _count(_get(src, "prompt_tokens"))
    if out is None:
        out = _count(_get(src, "completion_tokens"))
    return inp, out


def _context_docs(event: Any) -> list[str]:
    docs = _get(event, "context")
    if docs is None:
        docs = _get(event, "context_docs")
    if isinstance(docs, str):
        return [docs]
    return [d for d in docs or () if isinstance(d, str)]


def tokens_for_event(event: Any) -> TokenCount:
    """Token counts for one LLM event (a mapping or an object with the same attributes).

    Reads ``llm_model``, ``prompt``, ``context`` (or ``context_docs``), ``response`` and
    ``usage`` (``input_tokens``/``output_tokens`` or ``prompt_tokens``/``completion_tokens``,
    else the same names at top level). A usage figure wins where present; a missing side is
    counted with tiktoken, and then ``source`` is ``"tiktoken"``. Input = prompt + each
    context doc counted separately; output = response.
    """
    inp, out = _usage(event)
    if inp is not None and out is not None:
        return TokenCount(inp, out, "usage")
    model = _get(event, "llm_model") or ""
    encoding = _classify(model)[0]
    if inp is None:
        prompt = _get(event, "prompt") or ""
        inp = _count_text(encoding, prompt) if isinstance(prompt, str) else 0
        inp += _docs_tokens(encoding, _context_docs(event))
    if out is None:
        response = _get(event, "response")
        out = _count_text(encoding, response) if isinstance(response, str) else 0
    return TokenCount(inp, out, "tiktoken")


def _count_text(encoding: str, text: str) -> int:
    return len(_encoder(encoding).encode_ordinary(text)) if text else 0
