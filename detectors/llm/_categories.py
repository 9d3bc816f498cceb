"""Closed classes of descriptors: genres, sports, playing positions.

Most words a response adds are paraphrase or detail: their absence from the source is weak
evidence. A few descriptors come from small closed classes, where another member is not a
paraphrase but a different claim: a film that "is a horror movie" where the knowledge says
"has genre Comedy", a player who "plays basketball" where it says "Sport played: Tennis".
:func:`categories_of` finds the members of a text (as ``"class:stem"`` strings) and
:func:`contradicted` the members a response names whose class the sources fill with others.
"""

from __future__ import annotations

from collections.abc import Iterable

from ._claims_text import claim_stem

__all__ = ["CLASSES", "categories_of", "contradicted"]

#: Class name -> its members (words, stemmed on use). "sci" (of "sci-fi") reads as "fiction".
CLASSES = {
    "genre": """comedy comedies drama dramas horror thriller thrillers romance romantic mystery
        mysteries fantasy documentary documentaries animated animation action adventure western
        westerns musical musicals crime biography biographical historical war family children
        childrens teen dystopian dystopia satire satirical poetry memoir memoirs nonfiction
        fiction speculative suspense supernatural paranormal superhero noir gothic
        psychological autobiography autobiographical tragedy epic sci pop rock rap hip jazz
        metal punk blues folk reggae classical techno disco gospel""",
    "sport": """tennis basketball football soccer baseball golf hockey cricket rugby boxing
        wrestling swimming volleyball gymnastics athletics cycling skiing skating""",
    "position": """defender midfielder forward striker goalkeeper goalie quarterback pitcher
        catcher shortstop linebacker""",
}
_SAME = {"sci": "fiction"}  # "sci-fi" is "science fiction"
_MEMBER = {stem: f"{name}:{_SAME.get(stem, stem)}" for name, words in CLASSES.items()
           for stem in filter(None, map(claim_stem, words.split()))}  # fmt: skip
# member stem -> the word shown in reasons (the first listed with that stem)
_SHOWN: dict[str, str] = {}
for _words in CLASSES.values():
    for _word in _words.split():
        _SHOWN.setdefault(_SAME.get(claim_stem(_word), claim_stem(_word)), _word)


def categories_of(stems: Iterable[str]) -> frozenset[str]:
    """The class members (``"genre:horror"``) among ``stems``."""
    return frozenset(map(_MEMBER.__getitem__, _MEMBER.keys() & set(stems)))


def contradicted(said: frozenset[str], known: frozenset[str]) -> list[tuple[str, list[str]]]:
    """Members of ``said`` the sources lack in a class where they name others, in order, each
    with the sources' members of its class, as words: ``[("horror", ["comedy"])]``."""
    out = []
    for member in sorted(said - known):
        cls, stem = member.split(":", 1)
        others = sorted(_SHOWN[m.split(":", 1)[1]] for m in known if m.startswith(cls + ":"))
        if others:
            out.append((_SHOWN[stem], others))
    return out
