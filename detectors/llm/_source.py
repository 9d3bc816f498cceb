"""The source side of groundedness, built per text and combined per event without re-joining.

The reference definition (kept by tests as an oracle) joins the context documents and the
prompt with ``"\\n"`` and indexes the joined text: content-word stems, adjacent stem bigrams,
ISO-date months, number values and a padded token string for phrase look-ups. Every one of
those splits at the ``"\\n"`` between two texts, so each text is indexed on its own
(:class:`TextIndex`, cached per context document by the scorer) and :class:`Source` combines
the pieces per event:

* stems, months and number values: the union of the per-text sets (the response's set is
  reduced by each text's set in turn, so no union is ever built);
* bigrams: the per-text sets plus the pairs that span two texts (last stem of one text with
  content words, first stem of the next);
* phrases: a name whose content word has its stem in no text is absent; otherwise it is
  searched in the texts holding that stem, and only if not found there in the joined token
  string, built lazily once per event from the per-text token strings (a copy, not a
  re-tokenisation);
* numbers: ``"5\\nmillion"`` reads as 5e6 across a text boundary, so when one text ends in a
  digit (or ``.``/``,``) and the next starts with a multiplier word, the number values are
  taken from the joined text as the reference does.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from itertools import chain

from . import _text

__all__ = ["Source", "TextIndex", "index_size", "pairs_of", "sentence_pairs"]

_MULT_WORDS = ("thousand", "million", "billion", "trillion")


def pairs_of(stems: list[str]) -> Iterator[str]:
    """Adjacent stem pairs as ``"a b"`` strings (stems hold no spaces, so this is exact).

    Strings, not tuples: a string caches its hash, and a dict of strings is never traversed
    by the garbage collector, which matters with thousands of cached documents.
    """
    return map(" ".join, zip(stems, stems[1:], strict=False))


def sentence_pairs(stems: list[list[str]]) -> list[str]:
    """:func:`pairs_of` each list of stems (pairs never span two lists), in order, as a list."""
    zips = [zip(st, st[1:], strict=False) for st in stems]
    return list(map(" ".join, chain.from_iterable(zips)))


class TextIndex:
    """Lexical index of one text (a context document or the prompt).

    Fixed once built, except the number values, computed on first use. Sets are dicts with
    ``None`` values: as fast for look-ups and ``set.difference``, and, holding only strings or
    floats, invisible to the garbage collector.
    """

    __slots__ = ("_numbers", "bigrams", "first", "last", "monthstr", "num_head", "num_tail",
                 "text", "tokstr", "unigrams")  # fmt: skip

    def __init__(self, text: str) -> None:
        lower = text.lower()
        toks = _text.tokens(lower)
        stems = _text.content_stems(toks)
        months = _text.iso_months(text) if "-" in text else []
        self.text = text
        self.unigrams = dict.fromkeys(stems)
        self.bigrams = dict.fromkeys(pairs_of(stems))
        self.first = stems[0] if stems else None
        self.last = stems[-1] if stems else None
        if months:
            self.unigrams.update(dict.fromkeys(months))
        self.tokstr = f" {' '.join(toks)} "  # padded, so " word " finds whole tokens
        self.monthstr = " ".join(months)
        tail = lower[-1:]
        self.num_tail = tail.isdecimal() or tail in (".", ",")
        self.num_head = lower.startswith(_MULT_WORDS)
        self._numbers: dict[float, None] | None = None

    def numbers(self) -> dict[float, None]:
        """Number values in the text, spelled-out ones ("three") included (computed once)."""
        if self._numbers is None:
            values = dict.fromkeys(value for _, value in _text.number_list(self.text.lower()))
            for word, stem in _text.NUMBER_WORD_STEMS:  # the stem test skips most searches
                if (not stem or stem in self.unigrams) and f" {word} " in self.tokstr:
                    values[_text.NUMBER_WORDS[word]] = None
            self._numbers = values
        return self._numbers


def index_size(index: TextIndex) -> int:
    """Estimated bytes held by ``index``: its tables, the pair strings only it holds (on
    average under ``49 + 2 * len(tokstr) / len(bigrams)`` bytes each), the stems (counted
    as if it were their only holder), ``tokstr`` and ``text``."""
    size = sys.getsizeof(index.unigrams) + sys.getsizeof(index.bigrams)
    size += 49 * len(index.bigrams) + 2 * len(index.tokstr) + 56 * len(index.unigrams)
    return size + sys.getsizeof(index.tokstr) + sys.getsizeof(index.text) + 400


class Source:
    """Per-event view over the indexes of the context documents and the prompt, in order."""

    __slots__ = ("_boundary", "_joined_numbers", "_parts", "_phrases")

    def __init__(self, parts: Sequence[TextIndex]) -> None:
        self._parts = parts
        self._phrases: str | None = None
        self._joined_numbers = False  # a number may run across two texts: use the joined text
        boundary: dict[str, None] = {}
        prev = prev_part = None
        for part in parts:
            if part.first is not None:
                if prev is not None:
                    boundary[f"{prev} {part.first}"] = None
                prev = part.last
            if part.num_head and prev_part is not None and prev_part.num_tail:
                self._joined_numbers = True
            prev_part = part
        self._boundary = boundary

    def missing_stems(self, stems: set[str]) -> set[str]:
        """The stems (and month names) of ``stems`` that occur in no text."""
        for part in self._parts:
            if not stems:
                break
            stems = stems.difference(part.unigrams)
        return stems

    def missing_pairs(self, pairs: set[str]) -> set[str]:
        """The stem pairs (``"a b"``) of ``pairs`` that occur nowhere in the source.

        ``pairs`` is consumed. Against a table up to 4x its size, the table is walked and its
        pairs discarded (sequential reads; ~2x faster here than probing the table per pair).
        """
        pairs.difference_update(self._boundary)
        for part in self._parts:
            if not pairs:
                break
            table = part.bigrams
            if len(table) <= 4 * len(pairs):
                pairs.difference_update(table)
            else:
                pairs = pairs.difference(table)
        return pairs

    def missing_numbers(self, values: set[float]) -> set[float]:
        """The number values of ``values`` that occur nowhere in the source."""
        parts = self._parts
        if self._joined_numbers:
            joined = "\n".join(part.text for part in parts).lower()
            found = {value for _, value in _text.number_list(joined)}
            words = set(self._phrase_text().split())
            found.update(_text.word_number_values(words))  # month names are no number words
            return values - found
        for part in parts:
            if not values:
                break
            values = values.difference(part.numbers())
        return values

    def absent_names(self, names: list[str]) -> list[str]:
        """The names (in order, repeats kept) whose tokens do not occur consecutively in the
        source: ``" name tokens "`` is no substring of the joined, padded token text."""
        seen: dict[str, bool] = {}
        out = []
        for name in names:
            found = seen.get(name)
            if found is None:
                found = seen[name] = self._has_phrase(_text.tokens(name.lower()))
            if not found:
                out.append(name)
        return out

    def _has_phrase(self, words: list[str]) -> bool:
        """Search the joined token text (the reference definition), after two shortcuts.

        A content word (not a month name) is a token of a text only if its stem is among the
        text's stems. So: a word whose stem is in no text rules the phrase out; otherwise the
        texts holding the first word's stem are searched first (a phrase found inside one
        text is in the joined text too). Only a miss there needs the joined text, as a phrase
        may span two texts.
        """
        parts = self._parts
        candidates = None
        memo = _text.stem_memo_get
        for word in words:
            stem = memo(word)
            if stem is None:
                stem = _text.stem(word)
            if not stem or word in _text.MONTH_NAMES:
                continue
            if candidates is None:
                candidates = [part for part in parts if stem in part.unigrams]
                if not candidates:
                    return False
            else:
                for part in parts:
                    if stem in part.unigrams:
                        break
                else:
                    return False
        needle = f" {' '.join(words)} "
        for part in candidates or ():
            if needle in part.tokstr:
                return True
        return needle in self._phrase_text()

    def _phrase_text(self) -> str:
        """All tokens, then all ISO-date months, space-separated and padded (built once)."""
        if self._phrases is None:
            parts = self._parts
            pieces = [p.tokstr[1:-1] for p in parts if len(p.tokstr) > 2]
            pieces += [p.monthstr for p in parts if p.monthstr]
            self._phrases = " ".join([" ", *pieces, " "])
        return self._phrases
