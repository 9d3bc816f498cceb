"""Claim-level evidence: what a response asserts that its source does not support or contradicts.

A response is split into sentences; questions assert nothing and are skipped. Each other
sentence is checked against the source (context documents, then the prompt), each text
indexed by :class:`~detectors.llm._claims_index.SourceIndex`:

* support: the share of its content stems found in the source, and of its adjacent stem pairs;
* alignment: the source sentence sharing the most content stems with it, and the share of
  its stems that sentence holds (a faithful sentence rests on one source sentence);
* names (capitalised runs): *supported* (the phrase occurs, or all its words occur in one
  source sentence), *partial* (some words occur), *absent* (none), or *contradicted*: absent
  or partial while the aligned source sentence names someone the response sentence does not
  ("starred Brad Pitt" where the context has "starring Matthew Modine");
* numbers: *absent* from the source, or *contradicted*: absent while the aligned source
  sentence holds another number of the same kind (a year for a year: "released in 1995"
  where the context has "released 2001");
* negation: the sentence negates (not a hedge such as "not sure") what its aligned source
  sentence states, or negates a statement about a source entity; or it states what the
  aligned source sentence negates;
* correction: the sentence says it corrects something ("actually", "in fact", "instead");
* relation: two names the source supports that never occur in one source sentence or in
  two adjacent ones ("Damian Lillard starred in Space Jam" against a source that names each
  in other statements).

Every piece of evidence also yields a reason string (:data:`REASON_KINDS`). Results depend only
on the response and the source indexes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain

from . import _text
from ._categories import categories_of, contradicted
from ._claims_index import (
    HEDGE_RE,
    NEGATION_RE,
    SourceIndex,
    name_keys,
    numbers_of,
    prepare,
    sentences_of,
)
from ._claims_lookup import ABSENT, SUPPORTED, Lookup, count_planes, name_status, together
from ._claims_text import asserted, claim_stem, claim_stems, names_in
from ._conversation import entity_use, is_denial
from ._evidence import (
    CATEGORY,
    CONTENT,
    NAME,
    NAME_CONTRADICTED,
    NEGATION,
    NUMBER,
    NUMBER_CONTRADICTED,
    REASON_KINDS,
    RELATION,
    Evidence,
)

__all__ = ["REASON_KINDS", "Evidence", "collect_evidence"]

CORRECTION_RE = re.compile(r"\b(?:actually|in fact|instead|contrary to|rather than)\b")

_WEAK_SENTENCE = 0.5  # a sentence with less support than this is named as a reason
_EXCERPT = 80
CHAT_SUPPORT = 0.0  # a sentence without names or numbers and at most this support: chit-chat


#: Words that only keep a conversation going; a sentence of nothing else (no name, no
#: number) asserts nothing: "Thanks, enjoy!", "Hope this helps, let me know."
PHATIC = frozenset(filter(None, map(claim_stem, """thank thanks hope help helps helpful enjoy
    welcome glad great happy question questions know like love good nice cool awesome fun
    wonderful amazing excellent fantastic perfect absolutely definitely certainly course
    indeed agree yeah yep yup hey hello hi bye goodbye sorry apologize wish luck day ask
    feel free anything else check think guess maybe enjoyed loved liked""".split())))


def _excerpt(sentence: str) -> str:
    return sentence if len(sentence) <= _EXCERPT else sentence[: _EXCERPT - 1] + "…"


def _align(s: _Sentence, look: Lookup) -> None:
    """Set ``s.shared``/``s.aligned`` to the source sentence sharing the most stems with
    ``s`` (the first such one), and ``s.wide`` to the mask of sentences sharing two or more."""
    planes = count_planes(s.stems, look.masks)
    wide = 0
    for plane in planes[1:]:
        wide |= plane
    s.wide = wide
    candidates, count = -1, 0
    for k in range(len(planes) - 1, -1, -1):
        hit = candidates & planes[k]
        if hit:
            candidates, count = hit, count | 1 << k
    if count:
        s.shared = count
        s.aligned = look.locate((candidates & -candidates).bit_length() - 1)


class _Sentence:
    """One non-question response sentence being checked."""

    __slots__ = ("aligned", "chat", "in_context", "line", "names", "phatic", "quote",
                 "sentence", "shared", "stem_list", "stems", "unsupported", "values", "wide",
                 "words")

    def __init__(self, sentence: str, line: str, words: list[str], stems: list[str]) -> None:
        self.sentence, self.line, self.words = sentence, line, words
        self.stem_list = stems
        self.stems = frozenset(stems)
        self.names: list[tuple[str, tuple[str, ...], int]] = []
        self.shared: int = 0
        self.aligned: tuple[SourceIndex, int] | None = None
        self.unsupported = self.in_context = 0
        self.chat = self.phatic = self.quote = False
        self.values: set[float] = set()
        self.wide = 0


def collect_evidence(response: str, context: Sequence[SourceIndex],
                     prompt: SourceIndex | None, quotes: bool = True) -> Evidence:  # fmt: skip
    """Evidence of ``response`` against the context indexes and the prompt index.

    A sentence that quotes a source text word for word (RAG answers often do) is counted as
    fully supported without the per-claim checks, which could find nothing in it
    (``quotes=False`` runs them anyway; a test checks that the results are equal)."""
    parts = [*context, prompt] if prompt is not None else list(context)
    turns = prompt is not None and prompt.turns
    ev = Evidence(context_words=sum(part.n_words for part in context),
                  context_sentences=sum(len(part.sentence_stems) for part in context),
                  context_name_share=_name_share(context) if not turns else 0.0,
                  prompt_turns=turns,
                  prompt_words=prompt.n_words if prompt is not None else 0)
    sentences = [(asserted(x) or x) if x.endswith("?") else x
                 for x in sentences_of(prepare(response))]
    low, words = _text.sentence_tokens(sentences)
    stems = claim_stems(words)
    checked = []
    lines = low.split("\n") if low else []
    look = Lookup(stems, parts, len(context))
    for sentence, line, w, st in zip(sentences, lines, words, stems, strict=True):
        if not sentence.endswith("?"):  # a question asserts nothing
            s = _Sentence(sentence, line, w, st)
            s.quote = _is_quote(s, look)
            if quotes and s.quote:
                s.phatic = PHATIC.issuperset(st)
            else:
                _find(s, look)
            checked.append(s)
    checked = [s for s in checked if not s.phatic]
    if any(not s.chat for s in checked):
        checked = [s for s in checked if not s.chat]  # chit-chat beside claims is neutral
    for s in checked:
        if quotes and s.quote:
            _quote(ev, s, look)
            continue
        _support(ev, s, look)
        _names(ev, s)
        _numbers(ev, s, look)
        _negation(ev, s)
        _relations(ev, s, parts, len(context))
        _entity_claim(ev, s, parts[: len(context)])
        _substitution(ev, s)
    _conversation_evidence(ev, checked, lines, context, prompt)
    return ev


def _name_share(context: Sequence[SourceIndex]) -> float:
    """Share of the context's words inside names, over all its documents (not read when the
    prompt is a chat transcript: :func:`detectors.llm._model.kind_mix`)."""
    words = sum(part.n_tokens for part in context)
    return sum(part.name_share() * part.n_tokens for part in context) / words if words else 0.0


def _conversation_evidence(ev: Evidence, checked: list[_Sentence], lines: list[str],
                           context: Sequence[SourceIndex],
                           prompt: SourceIndex | None) -> None:  # fmt: skip
    """Fresh and restated entities, a denial, contradicted categories (:mod:`._conversation`)."""
    names = []
    for s in checked:
        found = s.names if s.names or not s.quote else [
            (n, k, SUPPORTED) for n in names_in([s.sentence])[0] if (k := name_keys(n))]
        names += [(n, k) for n, k, _ in found]
    ev.fresh_entities, ev.restated_entities = entity_use(names, context, prompt)
    ev.denials = int(bool(lines) and is_denial(lines[0]))
    said = categories_of(chain.from_iterable(s.stems for s in checked))
    if not said:
        return
    parts = [*context, prompt] if prompt is not None else list(context)
    found = contradicted(said, frozenset().union(*(part.categories for part in parts)))
    if found:
        ev.categories += 1
        for member, others in found:
            ev.add_reason(CATEGORY, f"{member} (context: {', '.join(others)})")


def _is_quote(s: _Sentence, look: Lookup) -> bool:
    """Do the sentence's words occur, in order and contiguous, in one source text?"""
    st = s.stem_list
    if not st or not all(map(look.where.get, st)):
        return False
    if not all(map(look.pairs.__contains__, map(" ".join, zip(st, st[1:], strict=False)))):
        return False
    needle = f" {' '.join(s.words)} "
    return any(needle in part.tokstr for part in look.parts)


def _quote(ev: Evidence, s: _Sentence, look: Lookup) -> None:
    """Count a quoted sentence: all its words and pairs supported, aligned as it is; a
    correction ("actually") counts as in any sentence, a negation cannot contradict."""
    if not HEDGE_RE.search(s.line) and CORRECTION_RE.search(s.line):
        ev.corrections += 1
    st = s.stem_list
    n = len(st)
    where = look.where
    ev.content += n
    ev.supported += n
    ev.in_context += sum(where[stem] == 2 for stem in st)
    ev.pairs += n - 1
    ev.supported_pairs += n - 1
    within = -1
    for stem in s.stems:
        within &= look.masks[stem]
    if within:  # one source sentence holds every word: aligned with all of them
        s.shared = len(s.stems)
    else:
        _align(s, look)
    ev.align_sum += s.shared / len(s.stems)
    ev.sentences += 1
    if ev.weakest is None:
        ev.weakest = (1.0, s.sentence)


def _substitution(ev: Evidence, s: _Sentence) -> None:
    """The sentence restates a source statement about the same entity (a shared name word and
    a shared other word) but swaps its remaining words for words the source lacks."""
    if s.aligned is None or s.shared < 2 or not s.unsupported:
        return
    part, j = s.aligned
    theirs = part.sentence_stems[j]
    shared = s.stems & theirs
    in_names = {k for _, ks, _ in s.names for k in ks}
    if shared & in_names and shared - in_names and theirs - s.stems:
        ev.substitutions += 1


def _find(s: _Sentence, look: Lookup) -> None:
    """Look the sentence's words, numbers and names up; mark it chit-chat when it names
    nothing, holds no number and at most ``CHAT_SUPPORT`` of its words occur in the source,
    and phatic when all its words are :data:`PHATIC`."""
    for name in names_in([s.sentence])[0]:
        keys = name_keys(name)
        if keys:
            s.names.append((name, keys, name_status(name, keys, look.parts)))
    where = look.where
    for stem in s.stem_list:
        found = where[stem]
        if not found:
            s.unsupported += 1
        elif found == 2:
            s.in_context += 1
    s.values = numbers_of(s.line, s.words)
    hits = len(s.stem_list) - s.unsupported
    plain = not s.names and not s.values
    s.chat = plain and hits <= CHAT_SUPPORT * len(s.stem_list)
    s.phatic = plain and PHATIC.issuperset(s.stem_list)


def _entity_claim(ev: Evidence, s: _Sentence, context: Sequence[SourceIndex]) -> None:
    """A sentence that names a context entity and adds words or names the source lacks."""
    if not any(status == SUPPORTED and any(k in part.stems for part in context for k in keys)
               for _, keys, status in s.names):
        return
    if s.unsupported or any(status == ABSENT for _, _, status in s.names):
        ev.entity_claims += 1


def _support(ev: Evidence, s: _Sentence, look: Lookup) -> None:
    st = s.stem_list
    if not st:
        return
    hits = len(st) - s.unsupported
    ev.in_context += s.in_context
    ev.content += len(st)
    ev.supported += hits
    pairs = list(map(" ".join, zip(st, st[1:], strict=False)))
    ev.pairs += len(pairs)
    ev.supported_pairs += sum(map(look.pairs.__contains__, pairs))
    _align(s, look)
    ev.align_sum += s.shared / len(s.stems)
    ev.sentences += 1
    support = hits / len(st)
    if ev.weakest is None or support < ev.weakest[0]:
        ev.weakest = (support, s.sentence)
    if support < _WEAK_SENTENCE and len(st) >= 3:
        ev.add_reason(CONTENT, f'"{_excerpt(s.sentence)}" ({support:.0%} of its words)')


def _names(ev: Evidence, s: _Sentence) -> None:
    for name, keys, status in s.names:
        ev.names += 1
        if status == SUPPORTED:
            continue
        ev.unsupported_names.append(name)
        other = _other_name(s, keys)
        if other:
            ev.names_contradicted += 1
            ev.add_reason(NAME_CONTRADICTED, f"{name} (context: {other})")
        elif status == ABSENT:
            ev.names_absent += 1
            ev.add_reason(NAME, name)
        else:
            ev.names_partial += 1
            ev.add_reason(NAME, f"{name} (partly)")


def _other_name(s: _Sentence, keys: tuple[str, ...]) -> str:
    """A name of the aligned source sentence that the response sentence lacks ("" if none),
    when the two sentences share a name and a word outside names (the same statement about
    the same entity, with another name in it)."""
    if s.aligned is None or s.shared < 2:
        return ""
    part, j = s.aligned
    shared = s.stems & part.sentence_stems[j]
    in_names = {k for _, ks, _ in s.names for k in ks}
    if not shared & in_names or not shared - in_names:
        return ""
    for shown, other in part.sentence_names(j):
        if other != keys and not s.stems.intersection(other):
            return shown
    return ""


def _rival_number(s: _Sentence, value: float, raw: str, values: set[float],
                  look: Lookup) -> float | None:  # fmt: skip
    """A number of the same kind (year or not) that a source sentence about the same thing
    holds instead: one sharing the word the number is attached to (the last content word
    before it: "released" in "it was released in 1995") or two words with the response
    sentence. The sentence sharing the most words wins; None if there is none."""
    kind = _is_year(value)
    before = s.line[: max(0, s.line.find(raw))]
    anchor = next((st for st in map(claim_stem, reversed(_text.tokens(before))) if st), "")
    best: tuple[int, float] | None = None
    mask = s.wide | (look.masks.get(anchor, 0) if anchor in s.stems else 0)
    while mask:
        low = mask & -mask
        mask ^= low
        part, j = look.locate(low.bit_length() - 1)
        shared = len(s.stems & part.sentence_stems[j])
        if best and shared <= best[0]:
            continue
        rival = next((v for v in part.sentence_numbers(j)
                      if v not in values and _is_year(v) == kind), None)  # fmt: skip
        if rival is not None:
            best = (shared, rival)
    return None if best is None else best[1]


def _is_year(value: float) -> bool:
    return 1000 <= value <= 2100 and value == int(value)


def _numbers(ev: Evidence, s: _Sentence, look: Lookup) -> None:
    values = s.values
    if not values:
        return
    raw = {value: text for text, value in _text.number_list(s.line)}
    for value in values:
        ev.numbers += 1
        if any(value in part.numbers for part in look.parts):
            continue
        text = raw.get(value, f"{value:g}")
        ev.unsupported_numbers.append(text)
        other = _rival_number(s, value, text, values, look)
        if other is not None:
            ev.numbers_contradicted += 1
            ev.add_reason(NUMBER_CONTRADICTED, f"{text} (context: {other:g})")
        else:
            ev.numbers_absent += 1
            ev.add_reason(NUMBER, text)


def _negation(ev: Evidence, s: _Sentence) -> None:
    line = s.line
    hedged = HEDGE_RE.search(line)
    negated = bool(NEGATION_RE.search(line)) and not hedged
    if not hedged and CORRECTION_RE.search(line):  # "I'm actually not sure" corrects nothing
        ev.corrections += 1
    if s.aligned is not None and s.shared >= 2 and s.shared >= 0.5 * len(s.stems):
        part, j = s.aligned
        if negated != part.negated(j) and (negated or not s.quote):
            ev.negations += 1
            ev.add_reason(NEGATION, f'"{_excerpt(s.sentence)}"')
            return
    if s.aligned is not None and s.aligned[0].negated(s.aligned[1]):
        return  # the source sentence it rests on says "not" too
    if negated and any(status == SUPPORTED for _, _, status in s.names):
        ev.negations += 1
        ev.add_reason(NEGATION, f'"{_excerpt(s.sentence)}"')


def _relations(ev: Evidence, s: _Sentence, parts: Sequence[SourceIndex], n_context: int) -> None:
    if s.quote:  # the source says exactly this
        return
    known = [(name, keys) for name, keys, status in s.names if status == SUPPORTED]
    sources = parts[:n_context] or parts
    for (a, ka), (b, kb) in zip(known, known[1:], strict=False):  # names next to each other
        if ka != kb and not set(ka) & set(kb) and not together(ka, kb, sources):
            ev.relations += 1
            ev.add_reason(RELATION, f"{a} + {b}")
