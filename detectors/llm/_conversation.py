"""Evidence from how a reply uses its sources: entities, denials, categories.

Grounded chat replies draw on the knowledge they were given: they bring in an entity of the
context that the conversation (the prompt) has not mentioned yet (*fresh entity*: "Jake
Gyllenhaal starred as well" after a question about Zodiac, whose knowledge names him).
Hallucinated replies tend to restate the entities already under discussion and assert
something new about them (*restated entity*: the context and the prompt both name it), or
open by denying what was said (*denial*: "No, he wasn't in it"). And a closed class of
descriptors (genres of films, books and music) is contradicted, not paraphrased, by a
member the sources lack when they name another ("a horror movie" where the knowledge says
"has genre Comedy"): *category*.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def entity_use(names: Sequence[tuple[str, tuple[str, ...]]], context: Sequence[object],
               prompt: object | None) -> tuple[int, int]:  # fmt: skip
    """(fresh, restated): names the context supports that the prompt does not / does."""
    fresh = restated = 0
    for name, keys in names:
        if name_status(name, keys, context) != SUPPORTED:  # type: ignore[arg-type]
            continue
        if prompt is not None and name_status(name, keys, [prompt]) == SUPPORTED:  # type: ignore[list-item]
            restated += 1
        else:
            fresh += prompt is not None
    return fresh, restated
