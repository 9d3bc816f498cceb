"""Evidence from how a reply uses its sources: fresh and restated entities, denials.

Only in a chat history (a prompt with the assistant's turns: a RAG prompt that embeds the
retrieved documents names every context entity without discussing it). Grounded chat replies
draw on the knowledge they were given: they bring in an entity of the
context that the conversation (the prompt) has not mentioned yet (*fresh entity*: "Jake
Gyllenhaal starred as well" after a question about Zodiac, whose knowledge names him).
Hallucinated replies tend to restate the entities already under discussion and assert
something new about them (*restated entity*: the context and the prompt both name it), or
open by denying what was said (*denial*: "No, he wasn't in it"). Contradicted categories
are in :mod:`detectors.llm._categories`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._claims_index import SourceIndex
from ._claims_lookup import SUPPORTED, name_status

__all__ = ["DENIAL_RE", "entity_use", "is_denial"]

#: A reply opening with a denial ("No, ...", "Nope", "Not really", "That's not right").
DENIAL_RE = re.compile(
    r"^(?:(?:no|nope|nah)\b(?![ ]+(?:problem|worries|idea|doubt|way|need)\b)|not really\b"
    r"|(?:that|it)['’]?s not (?:true|right|correct)|that is not (?:true|right|correct)"
    r"|i don['’]?t think so\b|wrong\b)"
)


def is_denial(first_line: str) -> bool:
    """Does the reply's first (lower-cased) sentence open with a denial?"""
    return bool(DENIAL_RE.match(first_line.lstrip(" \"'“‘(")))


def entity_use(names: Sequence[tuple[str, tuple[str, ...], int | None]],
               context: Sequence[SourceIndex], prompt: SourceIndex | None) -> tuple[int, int]:
    """(fresh, restated): names the context supports that the prompt does not / does.

    Each name comes with its status against all the sources (context and prompt), which
    bounds the one against the context alone (not supported by all: not by the context), or
    None when the context is known to support it (it quotes a context sentence)."""
    fresh = restated = 0
    seen: dict[str, int] = {}
    for name, keys, status in names:
        use = seen.get(name)
        if use is None:
            use = seen[name] = _use(name, keys, status, context, prompt)
        fresh += use == 1
        restated += use == 2
    return fresh, restated


def _use(name: str, keys: tuple[str, ...], status: int | None, context: Sequence[SourceIndex],
         prompt: SourceIndex | None) -> int:  # fmt: skip
    """0: not in the context (or no prompt to compare), 1: fresh, 2: restated."""
    if status is not None and (status != SUPPORTED or
                               name_status(name, keys, context) != SUPPORTED):
        return 0
    if prompt is None:
        return 0
    return 2 if name_status(name, keys, [prompt]) == SUPPORTED else 1
