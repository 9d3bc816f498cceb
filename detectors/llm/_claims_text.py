"""Text handling of the claim checks: names as titles and people write them, chat turns.

The word-overlap scorer's building blocks (:mod:`detectors.llm._text`) stay as they are; the
claim checks need a little more:

* names (:func:`names_in`): a run of capitalised words may hold the small words of titles and
  family names ("Harry Potter and the Prisoner of Azkaban" gives "Harry Potter" and
  "Prisoner of Azkaban", "How to Win Friends" is one name, "Ludwig van Beethoven" too), a
  possessive ("The Titan's Curse") and initials ("J.K. Rowling", "P. D. James"); "I", "I'm"
  are no names. A run at the start of a sentence loses its leading small words
  ("The Lord of the Rings" -> "Lord of the Rings") and a single word there is skipped
  (any sentence starts with a capital);
* chat turns (:func:`split_turns`): a transcript's speaker tags ("[Human]:", "Assistant:" at a
  line start) end a sentence and are no names;
* :func:`is_initials`: "J.K." or "D." ends no sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import _text

__all__ = ["CONNECTORS", "asserted", "claim_stem", "claim_stems", "has_turns", "is_initials",
           "lemmas", "names_in", "split_turns"]

_CAP = "A-ZÀ-ÖØ-Þ"
#: Lower-case words that may join the capitalised words of one name.
CONNECTORS = ("of", "the", "a", "an", "to", "de", "la", "le", "du", "da", "del", "der", "van",
              "von")  # fmt: skip
# One capitalised word (internal apostrophes and hyphens kept: "Titan's", "Grahame-Smith"),
# or initials ("J.K.", "D."), never "I" or "I'm"/"I've"/"I'd"/"I'll".
_WORD = (rf"(?:[{_CAP}]\.(?:[ ]?[{_CAP}]\.)*(?=[ \t]+[{_CAP}])"
         rf"|(?!I(?:['’](?:m|ve|d|ll))?\b)[{_CAP}](?:[\w-]|['’](?=\w))*)")
_JOIN = rf"(?:[ \t]+(?:(?:{'|'.join(CONNECTORS)})[ \t]+)*)"
# A run starting at a word boundary (the look-behind after the first capital is the \b).
_NAME_RE = re.compile(rf"(?<![\w.])(?={_WORD}){_WORD}(?:{_JOIN}{_WORD})*")
_LEAD_RE = re.compile(r"[\s\-*•#>\"'“‘(\[]*(?:\d+[.)]\s+)?")
_SMALL = frozenset(CONNECTORS) | _text.STOPWORDS
_TURN_RE = re.compile(
    r"\[\s*(?:human|assistant|user|system|ai|bot|agent|customer)\s*\]\s*:?"
    r"|(?:^|(?<=\n))[ \t]*(?:human|assistant|user|system)[ \t]*:",
    re.IGNORECASE,
)


def _tags(text: str) -> Iterator[re.Match[str]]:
    """The matches of :data:`_TURN_RE` in ``text``, left to right, not overlapping: as
    ``finditer`` finds them, but tried only where a tag can start (a "[", the text's start, a
    line start) instead of at every character."""
    if ":" not in text:
        return
    starts = {0}
    for mark, step in (("[", 0), ("\n", 1)):
        i = text.find(mark)
        while i >= 0:
            starts.add(i + step)
            i = text.find(mark, i + 1)
    end = 0
    for at in sorted(starts):
        if at >= end:
            m = _TURN_RE.match(text, at)
            if m:
                end = m.end()
                yield m


def split_turns(text: str) -> str:
    """Speaker tags of a chat transcript replaced by line breaks (each turn ends a sentence)."""
    pieces, last = [], 0
    for m in _tags(text):
        pieces += [text[last : m.start()], "\n"]
        last = m.end()
    return "".join([*pieces, text[last:]]) if pieces else text


_ASSISTANT = ("assistant", "ai", "bot", "agent")


def has_turns(text: str) -> bool:
    """Is ``text`` a chat transcript with the assistant's turns ("[Assistant]:", "AI:")? A
    request of system and user messages ("system: ...", "user: ...") is none: only a history
    of replies makes a conversation."""
    return any(any(w in m.group().lower() for w in _ASSISTANT) for m in _tags(text))


#: Dotted abbreviations that end sentences as often as they precede a name ("the U.S. The").
_ACRONYMS = frozenset(["U.S", "U.N", "U.K", "E.U", "D.C", "L.A", "N.Y", "U.S.A", "U.A.E"])


def is_initials(word: str) -> bool:
    """``"J.K"``, ``"D"``: single capitals separated by dots (the final dot stripped), not a
    country's or city's abbreviation (``"U.S"``)."""
    return word not in _ACRONYMS and all(len(p) == 1 and p.isupper() for p in word.split("."))


def _strip_small(span: str) -> str:
    """``span`` without its leading small words ("The Lord of the Rings" -> "Lord of the
    Rings"); "" when nothing but small words is left."""
    words = span.split()
    k = 0
    while k < len(words) and words[k].lower() in _SMALL:
        k += 1
    return " ".join(words[k:])


def names_in(sentences: list[str]) -> list[list[str]]:
    """The names of each sentence (see the module docstring), per sentence.

    One regular-expression scan over the sentences joined by line breaks, which no name
    crosses and which, like a string's start or end, is no word character: the matches are
    those of each sentence on its own."""
    out: list[list[str]] = [[] for _ in sentences]
    if not sentences:
        return out
    starts, firsts, offset = [], [], 0
    for sentence in sentences:
        starts.append(offset)
        firsts.append(offset if sentence[:1].isalpha() else
                      offset + _LEAD_RE.match(sentence).end())  # type: ignore[union-attr]
        offset += len(sentence) + 1
    k = 0
    for m in _NAME_RE.finditer("\n".join(sentences)):
        at = m.start()
        while k + 1 < len(starts) and starts[k + 1] <= at:
            k += 1
        span = _name(m.group(), at == firsts[k])
        if span:
            out[k].append(span)
    return out


_name_memo: dict[tuple[str, bool], str] = {}


def _name(span: str, first: bool) -> str:
    """:func:`_name_of`, memoised (names recur; the memo is bounded)."""
    got = _name_memo.get((span, first))
    if got is None:
        if len(_name_memo) >= 100_000:
            _name_memo.clear()
        got = _name_memo[span, first] = _name_of(span, first)
    return got


def _name_of(span: str, first: bool) -> str:
    """The name a capitalised run stands for ("" if none); ``first``: it opens its sentence."""
    if first:
        if " " not in span.strip():
            return ""
        span = _strip_small(span)
    elif span.split(None, 1)[0].lower() in _SMALL:
        span = _strip_small(span) or span
    if span.endswith(("'s", "’s")):
        span = span[:-2]
    return span if span and any(map(_text.stem, _text.tokens(span.lower()))) else ""


_WH = "who|whom|whose|what|when|where|which|why|how|if|whether|any|anything|about|of|much|more"
# "Did you know (that) X?": a question that asserts X (not "do you know who ...").
_KNOW_RE = re.compile(
    r"^(?:(?:and|but|so|also|oh|well|by the way)[, ]+)*(?:did|do|have) you (?:know|realize|"
    rf"remember|heard|hear)(?: that)?[, ]+(?!(?:{_WH})\b)",
    re.IGNORECASE,
)
# "X, right?", "X, didn't he?": a question tag after a statement.
_TAG_RE = re.compile(
    r",\s*(?:right|correct|no|huh|(?:is|was|are|were|do|does|did|has|have|had|would|could|"
    r"ca|wo)n['’]t (?:it|he|she|they|that|there|you|i|we))\s*\?+$",
    re.IGNORECASE,
)


def asserted(sentence: str) -> str | None:
    """The statement a question asserts ("Did you know he starred in Hook?" -> "he starred
    in Hook."; "It starred Matt Damon, didn't it?" -> "It starred Matt Damon."), or None for
    a question that asserts nothing ("Have you seen it?")."""
    m = _TAG_RE.search(sentence)
    if m and m.start():
        return sentence[: m.start()] + "."
    m = _KNOW_RE.match(sentence)
    if m and m.end() < len(sentence) - 1:
        return sentence[m.end() :].rstrip("?") + "."
    return None


# Irregular forms (after the light stemmer) -> the stem of the base form, so that "X is
# written by Y" and "Y wrote X" share their verb.
_IRREGULAR = {
    "wrot": "writ", "written": "writ", "sang": "sing", "sung": "sing", "began": "begin",
    "begun": "begin", "becam": "becom", "drew": "draw", "drawn": "draw", "drov": "driv",
    "driven": "driv", "fell": "fall", "fallen": "fall", "flew": "fly", "flown": "fly",
    "gav": "giv", "given": "giv", "got": "get", "gotten": "get", "grew": "grow",
    "grown": "grow", "knew": "know", "known": "know", "led": "lead", "mad": "mak",
    "met": "meet", "paid": "pay", "ran": "run", "said": "say", "saw": "see", "seen": "see",
    "sold": "sell", "sent": "send", "shot": "shoot", "spok": "speak", "spoken": "speak",
    "stood": "stand", "taught": "teach", "thought": "think", "told": "tell", "took": "tak",
    "taken": "tak", "went": "go", "gon": "go", "built": "build", "bought": "buy",
    "brought": "bring", "caught": "catch", "chos": "choos", "chosen": "choos",
    "fought": "fight", "found": "find", "heard": "hear", "held": "hold", "kept": "keep",
    "lost": "los", "meant": "mean", "rod": "rid", "ridden": "rid", "thrown": "throw",
    "threw": "throw", "wor": "wear", "worn": "wear", "felt": "feel", "left": "leav",
    "starr": "star",
}  # fmt: skip
_lemma_memo: dict[str, str] = {}
_LEMMA_MEMO_MAX = 200_000


def _lemma(stem: str) -> str:
    got = _IRREGULAR.get(stem)
    if got is not None:
        return got
    # a doubled final consonant left by -ed/-ing ("stopp", "plann"): undoubled everywhere,
    # so both sides agree ("stop" stays "stop"); ll/ss/zz/ff are kept ("fall", "pass")
    last = stem[-1:]
    if len(stem) >= 4 and last == stem[-2] and last not in "aeiouylszf" and last.isalpha():
        return stem[:-1]
    return stem


def lemmas(stems: list[str]) -> list[str]:
    """Stems of :func:`detectors.llm._text.stem` with irregular forms and doubled final
    consonants normalised (memoised; stems of one word in any form agree)."""
    try:
        return list(map(_lemma_memo.__getitem__, stems))
    except KeyError:
        if len(_lemma_memo) + len(stems) > _LEMMA_MEMO_MAX:
            _lemma_memo.clear()
        for stem in stems:
            if stem not in _lemma_memo:
                _lemma_memo[stem] = _lemma(stem)
        return list(map(_lemma_memo.__getitem__, stems))


def claim_stem(word: str) -> str:
    """:func:`detectors.llm._text.stem`, then :func:`lemmas` ("" for a non-content word)."""
    stem = _text.stem(word)
    if not stem:
        return ""
    got = _lemma_memo.get(stem)
    if got is None:
        if len(_lemma_memo) >= _LEMMA_MEMO_MAX:
            _lemma_memo.clear()
        got = _lemma_memo[stem] = _lemma(stem)
    return got


_word_memo: dict[str, str] = {}


def claim_stems(words: list[list[str]]) -> list[list[str]]:
    """:func:`claim_stem` of each word, content words only, per list (memoised per word: the
    common case is one C-level pass per sentence)."""
    get = _word_memo.__getitem__
    try:
        return [list(filter(None, map(get, w))) for w in words]
    except KeyError:
        if len(_word_memo) > _LEMMA_MEMO_MAX:
            _word_memo.clear()
        for w in words:
            for word in w:
                if word not in _word_memo:
                    _word_memo[word] = claim_stem(word)
        return [list(filter(None, map(get, w))) for w in words]
