"""The groundedness model: claim evidence -> probability that a response is hallucinated.

A logistic regression on the features of :data:`FEATURES` (:func:`features` reads them off an
:class:`~detectors.llm._claims.Evidence`). How much lexical support a source can give depends
on the kind of request (:data:`KINDS`): an *answer* to a question over a passage should be
inside the passage; in a *conversation* (the prompt is a chat history with the assistant's
turns) grounded on knowledge such as "Zodiac is starring Jake Gyllenhaal", much of a reply
(chit-chat, the user's own words, true facts the knowledge lacks) cannot be in the knowledge,
so contradictions decide; a *snippet* is a short list of such statements sent without a
prompt, where a reply's names may come from turns the scorer cannot see; a *document*
(summary) should rest on the document sentence by sentence. The kind is read off the
request's shape (:func:`kind_mix`: context size, whether the prompt is a chat history, and
without a prompt the length of the context's statements and their share of names), softly,
and the weights of the kinds are mixed by those shares.
Each kind's intercept is set so that a chosen share of its grounded development responses
is flagged (``p > 0.5``). The fitted constants are in :mod:`detectors.llm._weights`, written
by ``python -m benchmarks.calibrate_groundedness`` from the HaluEval development split. The
kind boundaries below are set by hand between the tasks' development distributions: context
content words (qa 95th percentile 58, summarization 5th percentile 110), content words per
context sentence (qa 5th percentile 7.5, dialogue's knowledge 95th percentile 8) and share of
context words inside names (qa median 0.32, dialogue's knowledge 5th percentile 0.33; the
two curves are multiplied, so a passage needs only one of them to read as a passage).

Response length is no feature: every feature is a share or says whether some kind of
evidence is present at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

from ._evidence import Evidence
from ._weights import WEIGHTS

__all__ = ["DOCUMENT_WORDS", "FEATURES", "KINDS", "STATEMENT_SCALE", "STATEMENT_WORDS",
           "UNUSED", "NAME_SHARE",
           "NAME_SHARE_SCALE", "features", "kind_mix", "logit", "probability"]

#: The kinds of request the weights are fitted for (one row of weights each).
KINDS = ("answer", "conversation", "document", "snippet")
#: Context sizes (content words) over which a request turns from short-reference to document.
DOCUMENT_WORDS = (50.0, 100.0)
#: Content words per context sentence and share of context words inside
#: names at which a short context is as much a knowledge snippet (short statements about
#: named entities) as a passage, and how sharply (log scale, share) the shares turn.
STATEMENT_WORDS = 9.0
STATEMENT_SCALE = 0.05
NAME_SHARE = 0.15
NAME_SHARE_SCALE = 0.03

#: Feature names, in the order of the weights (after the intercept).
FEATURES = (
    "support",                # share of content words found in the source
    "pair_support",           # share of adjacent content-word pairs found in the source
    "alignment",              # share of a sentence's words held by its best source sentence
    "name_unsupported",       # a name the source lacks (wholly or partly)
    "name_contradicted",      # a name where the source's matching statement has another
    "number_unsupported",     # a number the source lacks
    "number_contradicted",    # a number where the source's matching statement has another
    "negation_contradicted",  # negates what the source states (or the reverse)
    "correction",             # "actually", "in fact", "instead": corrects something
    "relation_unsupported",   # two source entities the source never puts together
    "entity_claim",           # a source entity with words or names the source lacks
    "context_support",        # share of content words found in the context (not the prompt)
    "weakest_support",        # support of the least supported sentence
    "names_unsupported",      # two or more names the source lacks
    "substitution",           # a source statement restated with some of its words swapped
    "fresh_entity",           # a context entity the prompt does not mention (chat: the reply
                              # draws on its knowledge)
    "restated_entity",        # a context entity the prompt mentions too
    "denial",                 # the reply opens by denying ("No, ...")
    "category_contradicted",  # a genre the sources lack, where they name another
    "has_prompt",             # the request carries a prompt (the two above need one)
)  # fmt: skip


#: Features a kind does not use (weight 0). In an *answer*, the shares of word pairs and of
#: best-sentence overlap mostly tell a bare span ("Delhi") from a sentence, i.e. length: on
#: development data they flag every paraphrased sentence answer, so answers are judged on
#: word support and claims only; "a source entity with a word the source lacks" likewise
#: tells a sentence ("..., says Jane Doe") from a span. A *snippet* has no prompt to compare.
UNUSED: dict[str, tuple[str, ...]] = {
    "answer": ("pair_support", "alignment", "context_support", "weakest_support",
               "entity_claim"),
    "snippet": ("fresh_entity", "restated_entity", "has_prompt"),
}


def features(ev: Evidence) -> tuple[float, ...]:
    """The feature vector of :data:`FEATURES` (shares default to 1 without content words)."""
    support = ev.support
    pair = ev.pair_support
    align = ev.align
    return (
        1.0 if support is None else support,
        1.0 if pair is None else pair,
        1.0 if align is None else align,
        float(ev.names_absent + ev.names_partial > 0),
        float(ev.names_contradicted > 0),
        float(ev.numbers_absent > 0),
        float(ev.numbers_contradicted > 0),
        float(ev.negations > 0),
        float(ev.corrections > 0),
        float(ev.relations > 0),
        float(ev.entity_claims > 0),
        ev.in_context / ev.content if ev.content else 1.0,
        ev.weakest[0] if ev.weakest else 1.0,
        float(ev.names_absent + ev.names_partial > 1),
        float(ev.substitutions > 0),
        float(ev.fresh_entities > 0),
        float(ev.restated_entities > 0),
        float(ev.denials > 0),
        float(ev.categories > 0),
        float(ev.prompt_words > 0),
    )


def kind_mix(context_words: int, context_sentences: int = 1, name_share: float = 0.0,
             prompt_words: int = 0, turns: bool = False) -> tuple[float, float, float, float]:
    """Shares of the kinds of request (:data:`KINDS`), from the request's shape.

    ``document`` grows from 0 to 1 as the context grows from ``DOCUMENT_WORDS[0]`` to
    ``DOCUMENT_WORDS[1]`` content words (log scale). With a prompt, the rest is a
    ``conversation`` when the prompt is a chat history with the assistant's turns (``turns``),
    else an ``answer``. Without a prompt, the rest is split between a passage (``answer``) and
    a knowledge ``snippet`` by how much the context reads as short statements about named
    entities (logistic curves in the log of content words per sentence and in the share of
    words inside names, even at :data:`STATEMENT_WORDS` and :data:`NAME_SHARE`, multiplied).
    """
    low, high = math.log(DOCUMENT_WORDS[0]), math.log(DOCUMENT_WORDS[1])
    x = math.log(max(context_words, 1))
    document = min(1.0, max(0.0, (x - low) / (high - low)))
    if prompt_words > 0:
        rest = 1.0 - document
        return (0.0, rest, document, 0.0) if turns else (rest, 0.0, document, 0.0)
    per_sentence = max(context_words, 1) / max(context_sentences, 1)
    short = _logistic((math.log(STATEMENT_WORDS) - math.log(per_sentence)) / STATEMENT_SCALE)
    named = _logistic((name_share - NAME_SHARE) / NAME_SHARE_SCALE)
    snippet = (1.0 - document) * short * named
    return 1.0 - document - snippet, 0.0, document, snippet


def _logistic(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t)) if t > -700 else 0.0


def logit(x: Sequence[float], shape: tuple[int, int, float, int, bool],
          weights: Sequence[Sequence[float]] = WEIGHTS) -> float:  # fmt: skip
    """Log-odds that the response is hallucinated; ``shape`` as :func:`kind_mix` takes it."""
    total = 0.0
    rows = _ROWS if weights is WEIGHTS else [(w[0], w[1:]) for w in weights]
    for share, (intercept, w) in zip(kind_mix(*shape), rows, strict=True):
        if share:
            total += share * (intercept + sum(map(mul, w, x)))
    return total


_ROWS = [(w[0], tuple(w[1:])) for w in WEIGHTS]


def probability(x: Sequence[float], shape: tuple[int, int, float, int, bool],
                weights: Sequence[Sequence[float]] = WEIGHTS) -> float:  # fmt: skip
    """Probability that the response is hallucinated (the logistic of :func:`logit`)."""
    z = logit(x, shape, weights)
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
