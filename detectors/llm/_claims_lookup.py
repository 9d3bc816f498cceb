"""Look-ups of a response's words and names in the indexed source texts, for the claim checks.

* :func:`name_status`: is a name supported (the phrase, or all its words in one sentence),
  partly supported, or absent?
* :class:`Lookup`: one response's stems looked up in all source texts at once, with their
  sentence masks side by side, so that :func:`count_planes` counts, for every source sentence
  at once, how many of a response sentence's stems it holds.
* :func:`together`: do two names occur in one source sentence or in two adjacent ones?
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence
from itertools import chain

from . import _text
from ._claims_index import SourceIndex, spread

__all__ = ["ABSENT", "PARTIAL", "SUPPORTED", "Lookup", "count_planes", "counts", "name_status",
           "together"]

SUPPORTED, PARTIAL, ABSENT = 0, 1, 2


def name_status(name: str, keys: tuple[str, ...], parts: Sequence[SourceIndex]) -> int:
    needle = f" {' '.join(_text.tokens(name.lower()))} "
    found = False
    for part in parts:
        if needle in part.tokstr:
            return SUPPORTED
    for part in parts:
        mask, complete = -1, True
        for key in keys:
            bits = part.stems.get(key)
            if bits is None:
                complete = False
            else:
                found, mask = True, mask & bits
        if complete and (mask or len(keys) == 1):  # one word: no co-occurrence to ask for
            return SUPPORTED
    return PARTIAL if found else ABSENT


def count_planes(stems: frozenset[str], table: dict[str, int]) -> list[int]:
    """Per source sentence, how many of ``stems`` it holds, as binary digit planes: bit j of
    ``planes[k]`` is bit k of sentence j's count (a bit-parallel adder over the stems'
    sentence masks: a few big-integer operations per stem instead of one set per sentence)."""
    planes: list[int] = []
    for stem in stems:
        carry = table.get(stem, 0)
        k = 0
        while carry:
            if k == len(planes):
                planes.append(carry)
                break
            plane = planes[k]
            planes[k] = plane ^ carry
            carry &= plane
            k += 1
    return planes


def counts(stems: frozenset[str], look: Lookup) -> bytes | array:
    """Per source sentence (all texts, in order), how many of ``stems`` it holds, from a
    :class:`Lookup` built with a ``width``: one sum of the stems' count-field masks."""
    total = sum(map(look.masks.__getitem__, stems))
    width = look.width
    raw = total.to_bytes((total.bit_length() + 8 * width - 1) // (8 * width) * width, "little")
    return raw if width == 1 else array(_WIDTH_CODES[width], raw)


_WIDTH_CODES = {2: "H", 4: "I"}


def together(a: tuple[str, ...], b: tuple[str, ...], parts: Sequence[SourceIndex]) -> bool:
    """Do the keys of ``a`` and of ``b`` occur in one source sentence or two adjacent ones?"""
    for part in parts:
        ma = mb = -1
        for key in a:
            ma &= part.stems.get(key, 0)
        for key in b:
            mb &= part.stems.get(key, 0)
        if ma and mb and ma & (mb | mb << 1 | mb >> 1):
            return True
    return False


class Lookup:
    """One response's stems looked up in all source texts at once.

    ``where``: per stem, 0 = in no source text, 1 = only in the prompt, 2 = in the context;
    ``masks``: per stem, its sentence masks of all texts side by side (text ``i``'s bits
    shifted by ``offsets[i]``), so one bit count covers every text; ``pairs``: the response's
    stem pairs found in some text.

    With ``width`` (bytes, the fast path), ``masks`` hold each sentence's bit as a count
    field of that many bytes instead (:meth:`SourceIndex.spread`): summing a response
    sentence's masks then counts, for every source sentence at once, the stems it holds
    (:func:`counts`), as long as no count reaches ``256 ** width``.
    """

    __slots__ = ("_numbered", "_numbers", "_status", "masks", "offsets", "pairs", "parts",
                 "where", "width")

    def __init__(self, stems: list[list[str]], parts: Sequence[SourceIndex],
                 n_context: int, width: int = 0) -> None:  # fmt: skip
        uniq = set().union(*stems) if stems else set()
        pairs = set(map(" ".join, chain.from_iterable(
            zip(st, st[1:], strict=False) for st in stems)))  # fmt: skip
        self.parts = parts
        self.masks = masks = dict.fromkeys(uniq, 0)
        self.offsets: list[int] = []
        self.pairs: set[str] = set()
        in_context: set[str] = set()
        in_prompt: set[str] = set()
        self.width = width
        shift = 0
        for i, part in enumerate(parts):
            table = part.stems
            hits = uniq.intersection(table)  # one C-level intersection, then the hits only
            (in_context if i < n_context else in_prompt).update(hits)
            if width:
                fields, bits = part.spread(width), shift * 8 * width
                for stem in hits:
                    value = fields.get(stem)
                    if value is None:
                        value = fields[stem] = spread(table[stem], width)
                    masks[stem] |= value << bits
            else:
                for stem in hits:
                    masks[stem] |= table[stem] << shift
            self.pairs |= pairs.intersection(part.bigrams)
            self.offsets.append(shift)
            shift += len(part.sentence_stems)
        self._status: dict[str, int] = {}
        self._numbers: set[float] | None = None
        self._numbered: dict[bool, int] = {}
        self.where = dict.fromkeys(uniq, 0)
        self.where.update(dict.fromkeys(in_prompt, 1))
        self.where.update(dict.fromkeys(in_context, 2))

    def name_status(self, name: str, keys: tuple[str, ...]) -> int:
        """:func:`name_status` in all the texts (kept per name for this response)."""
        got = self._status.get(name)
        if got is None:
            got = self._status[name] = name_status(name, keys, self.parts)
        return got

    @property
    def numbers(self) -> set[float]:
        """Number values of all the texts (their union, on first use)."""
        if self._numbers is None:
            self._numbers = set().union(*(part.numbers for part in self.parts))
        return self._numbers

    def numbered(self, year: bool) -> int:
        """Mask of the sentences (all texts) holding a year (``year``) or another number."""
        got = self._numbered.get(year)
        if got is None:
            pairs = zip(self.parts, self.offsets, strict=True)
            got = self._numbered[year] = sum(part.numbered(year) << at for part, at in pairs)
        return got

    def numbered_fields(self, year: bool) -> int:
        """:meth:`numbered` with each bit moved to a 1 in its count field (width 1 only)."""
        key = 2 + year
        got = self._numbered.get(key)  # type: ignore[call-overload]
        if got is None:
            mask, got = self.numbered(year), 0
            while mask:
                low = mask & -mask
                mask ^= low
                got |= 1 << (8 * (low.bit_length() - 1))
            self._numbered[key] = got  # type: ignore[index]
        return got

    def locate(self, j: int) -> tuple[SourceIndex, int]:
        """(text, sentence index in it) of global sentence ``j``."""
        p = bisect_right(self.offsets, j) - 1
        return self.parts[p], j - self.offsets[p]
