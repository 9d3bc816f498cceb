"""Lexical building blocks for groundedness: tokens, stop words, stems, numbers, names.

Everything here is stdlib, regexes are compiled at import, and the stemmer memoises into a
bounded dict, so scoring one event allocates little beyond its own token lists.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

__all__ = [
    "STOPWORDS",
    "content_stems",
    "iso_months",
    "name_spans",
    "names_in",
    "number_list",
    "number_values",
    "sentence_stems",
    "sentence_tokens",
    "split_sentences",
    "stem",
    "tokens",
    "word_number_values",
]

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each either
    etc few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just let may me might more most must my myself no nor not now of
    off on once one only or other our ours ourselves out over own per same she should so some
    such than that the their theirs them themselves then there these they this those through
    thus to too under until up upon us very via was we were what when where which while who whom
    whose why will with within without would yes yet you your yours yourself yourselves
    don doesn didn isn aren wasn weren won wouldn couldn shouldn hasn haven hadn can't ll ve re
    s t d m sure okay ok well however therefore according based also please note""".split()
)

NUMBER_WORDS = {
    "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0, "seven": 7.0, "eight": 8.0,
    "nine": 9.0, "ten": 10.0, "eleven": 11.0, "twelve": 12.0, "fifteen": 15.0, "twenty": 20.0,
    "thirty": 30.0, "forty": 40.0, "fifty": 50.0, "hundred": 100.0, "thousand": 1000.0,
}  # fmt: skip

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_MULT = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
         "billion": 1e9, "trillion": 1e12}  # fmt: skip

_PUNCT = str.maketrans(dict.fromkeys(string.punctuation + "’‘“”„—–…•·«»¿¡", " "))
_NUMBER_RE = re.compile(r"(\d[\d,.]*)(?:([kmb]|bn)\b|\s(thousand|million|billion|trillion)\b)?")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_ISO_DATE_RE = re.compile(r"(?:19|20)\d\d-(0[1-9]|1[0-2])-\d\d(?!\d)")
_CAP = "A-ZÀ-ÖØ-Þ"
# A run of capitalised words starting at a word boundary. The look-behind after the first
# capital is the ``\b`` before it (capitals are word characters); leading with the character
# class lets the regex engine skip ahead to capitals (~2x faster than a leading ``\b``).
_NAME_RE = re.compile(rf"[{_CAP}](?<!\w[{_CAP}])[\w-]*(?:[ \t]+[{_CAP}][\w-]*)*")
_LEAD_RE = re.compile(r"[\s\-*•#>\"'“‘(\[]*(?:\d+[.)]\s+)?")
_NOT_NAMES = frozenset(["i"])
# Text up to and with a run of end marks followed by white space or the end (may be empty).
_SENTENCE_RE = re.compile(r"[^.!?]*(?:[.!?]+(?=\S)[^.!?]*)*[.!?]*")
_NUMBER_ALL_RE = re.compile(rf"({_NUMBER_RE.pattern})")  # the whole match as group 1, for findall
# The same on ASCII text, ~30% faster: ASCII-mode \d and \b equal the Unicode ones on ASCII
# input, and the class spells out the ASCII characters that Unicode \s matches.
_NUMBER_ASCII_RE = re.compile(
    _NUMBER_ALL_RE.pattern.replace(r"\s", r"[\t\n\v\f\r\x1c-\x1f ]"), re.ASCII
)

_stem_memo: dict[str, str] = {}
_STEM_MEMO_MAX = 200_000
stem_memo_get = _stem_memo.get  # hot-path look-up; None when the word was never stemmed


def tokens(text_lower: str) -> list[str]:
    """Words of already lower-cased text, split at white space and punctuation.

    ``"gpt-4o's 1,000"`` -> gpt, 4o, s, 1, 000 (str.translate + split: ~5x faster than a regex).
    """
    return text_lower.translate(_PUNCT).split()


def _stem_uncached(word: str) -> str:
    """Light suffix stripping (plural, -ed, -ing, final e): same stem on both sides is enough."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _classify(word: str) -> str:
    """Stem of a content word; ``""`` for stop words, 1-char words and numeric tokens."""
    if word in STOPWORDS or len(word) < 2 or word[0].isdigit():
        return ""
    return _stem_uncached(word)


def stem(word: str) -> str:
    """Memoised light stem of ``word`` (``""`` if it is not a content word)."""
    hit = _stem_memo.get(word)
    if hit is None:
        if len(_stem_memo) >= _STEM_MEMO_MAX:
            _stem_memo.clear()
        hit = _stem_memo[word] = _classify(word)
    return hit


def content_stems(toks: list[str]) -> list[str]:
    """Stems of the content words among ``toks`` (stop words, 1-char and numeric dropped).

    Fast path is all C (``map`` over the memo); unseen words fill the memo first.
    """
    try:
        return list(filter(None, map(_stem_memo.__getitem__, toks)))
    except KeyError:
        if len(_stem_memo) + len(toks) > _STEM_MEMO_MAX:
            _stem_memo.clear()
        for word in toks:
            if word not in _stem_memo:
                _stem_memo[word] = _classify(word)
        return list(filter(None, map(_stem_memo.__getitem__, toks)))


def _parse_number(digits: str) -> list[float]:
    """``"1,000.5"`` -> [1000.5]; a list like ``"1,2"`` or a version ``"3.11.7"`` -> its parts."""
    digits = digits.rstrip(".,")
    if "," in digits and _THOUSANDS_RE.fullmatch(digits):
        digits = digits.replace(",", "")
    try:
        return [float(digits)]
    except ValueError:
        return [float(p) for p in re.split(r"[.,]", digits) if p]


def number_list(text_lower: str) -> list[tuple[str, float]]:
    """``(raw, value)`` per number in lower-cased text: ``1,000``/``1000``/``1k`` -> 1000.0,
    ``2.5 million`` -> 2.5e6, ``15%``/``$15`` -> 15.0 (units and currency are ignored)."""
    out = []
    pattern = _NUMBER_ASCII_RE if text_lower.isascii() else _NUMBER_ALL_RE
    for raw, digits, short, word in pattern.findall(text_lower):
        suffix = short or word
        plain = digits.rstrip(".,")
        if suffix:
            mult = _MULT[suffix]
        else:  # raw is digits; a suffix ends raw in a letter, so it needs no stripping
            mult, raw = 1.0, plain
        if "," in plain and _THOUSANDS_RE.fullmatch(plain):  # inline _parse_number
            plain = plain.replace(",", "")
        try:
            out.append((raw, round(float(plain) * mult, 6)))
        except ValueError:
            out.extend((raw, round(value * mult, 6)) for value in _parse_number(digits))
    return out


def number_values(text_lower: str) -> Iterator[tuple[str, float]]:
    """Iterator over :func:`number_list`."""
    yield from number_list(text_lower)


#: (number word, its stem): a text whose stems lack the stem cannot contain the word.
NUMBER_WORD_STEMS = tuple((w, _classify(w)) for w in NUMBER_WORDS)
MONTH_NAMES = frozenset(_MONTHS)


def word_number_values(words: set[str]) -> list[float]:
    """Values of spelled-out numbers present in ``words`` (``"three"`` -> 3.0)."""
    return [NUMBER_WORDS[w] for w in NUMBER_WORDS.keys() & words]


def iso_months(text: str) -> list[str]:
    """Month names of ISO dates in ``text``, so ``2024-03-05`` supports "March"."""
    return [_MONTHS[int(m.group(1)) - 1] for m in _ISO_DATE_RE.finditer(text)]


def split_sentences(text: str) -> list[str]:
    """Sentences: lines split at ``.!?`` runs followed by white space ("3.5" stays whole).

    Leading bullets and list numbering ("- ", "1. ") are removed, so they are neither
    sentence text nor numbers to check; so is a single end mark opening a line's text
    (". Next"). A test pins the equivalence with the former per-character sentence regex.
    """
    out: list[str] = []
    for line in text.splitlines():
        body = line[_LEAD_RE.match(line).end() :]  # type: ignore[union-attr]  # always matches
        if not body:
            continue
        if body[0] in ".!?" and (len(body) == 1 or body[1].isspace()):
            body = body[1:]
        out += filter(None, map(str.strip, _SENTENCE_RE.findall(body)))
    return out


def sentence_tokens(sentences: list[str]) -> tuple[str, list[list[str]]]:
    """``("\\n".join(sentences).lower(), [tokens(s.lower()) for s in sentences])``, in two C calls.

    Sentences hold no line breaks, and ``"\\n"`` stops ``str.lower``'s only context rule (final
    sigma) just as a string end does, so lowering the joined text equals lowering each one.
    """
    if not sentences:
        return "", []
    low = "\n".join(sentences).lower()
    return low, [line.split() for line in low.translate(_PUNCT).split("\n")]


def sentence_stems(words: list[list[str]]) -> list[list[str]]:
    """``[content_stems(w) for w in words]``, with the memo look-ups of all lists in one go."""
    get = _stem_memo.__getitem__
    try:
        return [list(filter(None, map(get, w))) for w in words]
    except KeyError:
        return [content_stems(w) for w in words]


def name_spans(sentence: str) -> list[str]:
    """Runs of capitalised words that look like names, not just sentence-initial capitals.

    A single capitalised word at the sentence start (after bullets/numbering) is skipped; a
    multi-word run there loses its first word if that word is a stop word ("The Eiffel Tower"
    -> "Eiffel Tower"). "I" is never a name.
    """
    return names_in([sentence])


def _first_word_at(sentence: str) -> int:
    """Offset of the first word of a sentence, after bullets, quotes and numbering."""
    if sentence[:1].isalpha():
        return 0
    return _LEAD_RE.match(sentence).end()  # type: ignore[union-attr]  # always matches


def names_in(sentences: list[str]) -> list[str]:
    """:func:`name_spans` of each sentence, concatenated, from one regex scan.

    The sentences are joined with a line break, which no name run crosses and which is a word
    boundary just as a string start or end is, so the matches are those of each sentence.
    """
    firsts = set()
    offset = 0
    for sentence in sentences:
        if sentence[:1].isalpha():  # inline _first_word_at
            firsts.add(offset)
        else:
            firsts.add(offset + _LEAD_RE.match(sentence).end())  # type: ignore[union-attr]
        offset += len(sentence) + 1
    out = []
    for m in _NAME_RE.finditer("\n".join(sentences)):
        span = m.group()
        if m.start() in firsts:
            if " " not in span:  # one word (or words joined by tabs) at the sentence start
                continue
            head, _, rest = span.partition(" ")
            if head.lower() in STOPWORDS:
                span = rest.strip()
        if span.lower() not in _NOT_NAMES:
            out.append(span)
    return out
