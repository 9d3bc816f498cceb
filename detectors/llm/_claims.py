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
on the response and the source indexes. The checks themselves are in
:mod:`detectors.llm._claims_checks`, the conversation evidence (fresh and restated entities,
denial, categories) in :mod:`detectors.llm._conversation`.

Cost: :func:`collect_evidence` has a reference path (``fast=False``: every sentence through
every check) and a fast path with the same results, the default: a sentence that is word for
word a sentence of a context document (RAG answers quote their chunks) takes that sentence's
checks from the document's index, where they are worked out once per document
(:meth:`~detectors.llm._claims_index.SourceIndex.quote`: all words and pairs supported, aligned
with itself, its names and numbers in the document; a sentence that negates is not taken, as
its negation could contradict another source sentence); the other sentences alone are
tokenised and looked up, and two checks use their fast variants. A test holds the two paths
equal on every development response.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

from . import _text
from ._categories import categories_of, contradicted
from ._claims_checks import (
    CORRECTION_RE,
    PHATIC,
    Sentence,
    align,
    align_fast,
    entity_claim,
    find,
    is_quote,
    names,
    negation,
    numbers,
    relations,
    rival_number,
    rival_number_fast,
    substitution,
    support,
)
from ._claims_index import HEDGE_RE, SourceIndex, prepare, sentences_of
from ._claims_lookup import Lookup
from ._claims_text import asserted, claim_stems, names_in
from ._conversation import entity_use, is_denial
from ._evidence import CATEGORY, REASON_KINDS, Evidence
from ._model import DOCUMENT_WORDS

__all__ = ["REASON_KINDS", "Evidence", "collect_evidence"]


def collect_evidence(response: str, context: Sequence[SourceIndex],
                     prompt: SourceIndex | None, fast: bool = True) -> Evidence:  # fmt: skip
    """Evidence of ``response`` against the context indexes and the prompt index (``fast``:
    the fast path, see the module docstring)."""
    parts = [*context, prompt] if prompt is not None else list(context)
    turns = prompt is not None and prompt.turns
    prompted = prompt is not None and prompt.n_words > 0
    ev = Evidence(context_words=sum(part.n_words for part in context),
                  context_sentences=sum(len(part.sentence_stems) for part in context),
                  context_name_share=_name_share(context, prompted),
                  prompt_turns=turns,
                  prompt_words=prompt.n_words if prompt is not None else 0)  # fmt: skip
    sentences = [(asserted(x) or x) if x.endswith("?") else x
                 for x in sentences_of(prepare(response))]  # fmt: skip
    keys = [part.sentence_keys for part in context] if fast else []
    items: list[Sentence | Quote | str] = [
        (_quoted(x, keys, context) or x) for x in sentences if not x.endswith("?")
    ]  # a question asserts nothing
    look = _look_up(items, parts, len(context), fast)  # no str left in items
    checked: list[Sentence | Quote] = [x for x in items if not x.phatic]  # type: ignore[union-attr,misc]
    if any(not x.chat for x in checked):
        checked = [x for x in checked if not x.chat]  # chit-chat beside claims is neutral
    rival = rival_number_fast if fast else rival_number
    for x in checked:
        if isinstance(x, Quote):
            x.count(ev)
            continue
        assert look is not None
        support(ev, x, look, align_fast if fast else align)
        names(ev, x)
        numbers(ev, x, look, rival)
        negation(ev, x, screen=fast)
        relations(ev, x, parts, len(context))
        entity_claim(ev, x, parts[: len(context)])
        substitution(ev, x)
    first = sentences[0].lower() if sentences else ""
    _conversation_evidence(ev, checked, first, context, prompt)
    return ev


class Quote:
    """The checks of a context sentence, for a response sentence equal to it (see the module
    docstring): counted by :meth:`count` without looking anything up."""

    __slots__ = ("chat", "correction", "names", "phatic", "sentence", "stem_list", "stems",
                 "values")

    def __init__(self, part: SourceIndex, j: int) -> None:
        self.sentence = part.sentences[j]
        self.stem_list = part.stem_lists[j]
        self.stems = part.sentence_stems[j]
        self.names = part.sentence_names(j)
        self.values = part.sentence_numbers(j)
        line = part.lines[j]
        self.correction = not HEDGE_RE.search(line) and bool(CORRECTION_RE.search(line))
        self.chat = False
        self.phatic = not self.names and not self.values and PHATIC.issuperset(self.stem_list)

    @classmethod
    def of(cls, part: SourceIndex, j: int) -> Quote | None:
        """The record of sentence ``j`` of ``part``; None when the shortcut would not equal
        the checks: no content word, a negation, a number or name the document does not
        hold as the checks read it."""
        if not part.stem_lists[j] or part.negated(j):
            return None
        quote = cls(part, j)
        if not quote.values <= part.numbers:
            return None
        for name, _ in quote.names:
            if f" {' '.join(_text.tokens(name.lower()))} " not in part.tokstr:
                return None
        return quote

    def count(self, ev: Evidence) -> None:
        """What the checks count for this sentence: every word and pair supported (in the
        context), aligned with all its words, its names and numbers supported."""
        n = len(self.stem_list)
        ev.corrections += self.correction
        ev.content += n
        ev.supported += n
        ev.in_context += n
        ev.pairs += n - 1
        ev.supported_pairs += n - 1
        ev.align_sum += 1.0
        ev.sentences += 1
        ev.names += len(self.names)
        ev.numbers += len(self.values)
        if ev.weakest is None:
            ev.weakest = (1.0, self.sentence)


def _quoted(sentence: str, keys: list[dict[str, int]],
            context: Sequence[SourceIndex]) -> Quote | None:  # fmt: skip
    """The :class:`Quote` of the first context sentence equal to ``sentence`` (``keys``: the
    contexts' :attr:`~detectors.llm._claims_index.SourceIndex.sentence_keys`), if any."""
    for i, table in enumerate(keys):
        j = table.get(sentence)
        if j is not None:
            return context[i].quote(j, Quote.of)  # type: ignore[no-any-return]
    return None


def _look_up(items: list[Sentence | Quote | str], parts: Sequence[SourceIndex],
             n_context: int, fast: bool) -> Lookup | None:  # fmt: skip
    """Replace each sentence text in ``items`` by its :class:`Sentence`, looked up in the
    sources (:func:`~detectors.llm._claims_checks.find`); the :class:`Lookup` used (``fast``:
    with count fields wide enough for the longest sentence)."""
    todo = [i for i, x in enumerate(items) if isinstance(x, str)]
    if not todo:
        return None
    texts: list[str] = [items[i] for i in todo]  # type: ignore[misc]
    low, words = _text.sentence_tokens(texts)
    stems = claim_stems(words)
    width = 0
    if fast:
        most = max(map(len, map(set, stems)))
        width = 1 if most < 256 else 2 if most < 65536 else 4
    look = Lookup(stems, parts, n_context, width)
    found = names_in(texts)
    lines = low.split("\n")
    for i, text, line, w, st, nm in zip(todo, texts, lines, words, stems, found, strict=True):
        s = Sentence(text, line, w, st)
        s.quote = is_quote(s, look)
        find(s, look, nm)
        items[i] = s
    return look


def _name_share(context: Sequence[SourceIndex], prompted: bool) -> float:
    """Share of the context's words inside names, over all its documents; 0 where
    :func:`detectors.llm._model.kind_mix` does not read it (with a prompt, or a context large
    enough to be a document)."""
    if prompted or sum(part.n_words for part in context) >= DOCUMENT_WORDS[1]:
        return 0.0
    words = sum(part.n_tokens for part in context)
    return sum(part.name_share() * part.n_tokens for part in context) / words if words else 0.0


def _conversation_evidence(ev: Evidence, checked: Sequence[Sentence | Quote], first: str,
                           context: Sequence[SourceIndex],
                           prompt: SourceIndex | None) -> None:  # fmt: skip
    """Fresh and restated entities, a denial, contradicted categories (:mod:`._conversation`)."""
    found: list[tuple[str, tuple[str, ...], int | None]] = []
    for x in checked:
        if isinstance(x, Quote):
            found += [(n, k, None) for n, k in x.names]
        else:
            found += x.names
    if ev.prompt_turns:  # entities under discussion: only a chat history has them
        ev.fresh_entities, ev.restated_entities = entity_use(found, context, prompt)
    ev.denials = int(is_denial(first)) if first else 0
    said = categories_of(chain.from_iterable(x.stems for x in checked))
    if not said:
        return
    parts = [*context, prompt] if prompt is not None else list(context)
    missing = contradicted(said, frozenset().union(*(part.categories for part in parts)))
    if missing:
        ev.categories += 1
        for member, others in missing:
            ev.add_reason(CATEGORY, f"{member} (context: {', '.join(others)})")
