"""The groundedness model: claim evidence -> probability that a response is hallucinated.

A logistic regression on the features of :data:`FEATURES` (:func:`features` reads them off an
:class:`~detectors.llm._claims.Evidence`). How much lexical support a source can give depends
on the kind of request (:data:`KINDS`): an *answer* to a question over a passage should be
inside the passage; in a *conversation* whose history outweighs a small knowledge snippet,
most of a reply (chit-chat, the user's own words) cannot be in the snippet, so contradictions
decide; a *document* (summary) should rest on the document sentence by sentence. The kind is
read off the request's shape (:func:`kind_mix`: context size, prompt size), softly, and the
weights of the kinds are mixed by those shares. Each kind's intercept is set so that a chosen
share of its grounded development responses is flagged (``p > 0.5``). The fitted constants
are in :mod:`detectors.llm._weights`, written by ``python -m
benchmarks.calibrate_groundedness`` from the HaluEval development split. The kind boundaries
below are set by hand between the tasks' development distributions: context content words
(qa 95th percentile 58, summarization 5th percentile 110) and log(prompt / context) (qa 95th
percentile -0.22, dialogue 5th percentile -0.29).

Response length is no feature: every feature is a share or says whether some kind of
evidence is present at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ._evidence import Evidence
from ._weights import WEIGHTS

__all__ = ["ASSUMED_PROMPT_WORDS", "CONVERSATION_CENTER", "CONVERSATION_SCALE",
           "DOCUMENT_WORDS", "FEATURES", "KINDS", "UNUSED", "features", "kind_mix", "logit",
           "probability"]

#: The kinds of request the weights are fitted for (one row of weights each).
KINDS = ("answer", "conversation", "document")
#: Context sizes (content words) over which a request turns from short-reference to document.
DOCUMENT_WORDS = (50.0, 100.0)
#: Where (log of prompt words / context words) and how sharply (width, same unit) a request
#: turns from an answer into a conversation: even shares when the prompt has 0.7x the context.
CONVERSATION_CENTER = -0.35
CONVERSATION_SCALE = 0.15
#: Prompt size assumed when a request carries no prompt (a typical question): a response to a
#: small knowledge snippet then reads as conversation, one to a passage as an answer.
ASSUMED_PROMPT_WORDS = 15

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
)  # fmt: skip


#: Features a kind does not use (weight 0). In an *answer*, the shares of word pairs and of
#: best-sentence overlap mostly tell a bare span ("Delhi") from a sentence, i.e. length: on
#: development data they flag every paraphrased sentence answer, so answers are judged on
#: word support and claims only.
UNUSED: dict[str, tuple[str, ...]] = {
    "answer": ("pair_support", "alignment", "context_support", "weakest_support"),
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
    )


def kind_mix(context_words: int, prompt_words: int = 0) -> tuple[float, float, float]:
    """Shares of the three kinds of request (:data:`KINDS`), from the request's shape.

    ``document`` grows from 0 to 1 as the context grows from ``DOCUMENT_WORDS[0]`` to
    ``DOCUMENT_WORDS[1]`` content words (log scale); the rest is split between
    ``conversation`` and ``answer`` by how much the prompt outweighs the context (a logistic
    curve in ``log(prompt / context)``, even shares at :data:`CONVERSATION_CENTER`; without
    a prompt, :data:`ASSUMED_PROMPT_WORDS`).
    """
    low, high = math.log(DOCUMENT_WORDS[0]), math.log(DOCUMENT_WORDS[1])
    x = math.log(max(context_words, 1))
    document = min(1.0, max(0.0, (x - low) / (high - low)))
    prompt_words = prompt_words or ASSUMED_PROMPT_WORDS
    ratio = math.log((prompt_words + 1) / (context_words + 1)) - CONVERSATION_CENTER
    ratio /= CONVERSATION_SCALE
    conversation = (1.0 - document) / (1.0 + math.exp(-ratio)) if ratio > -700 else 0.0
    return 1.0 - document - conversation, conversation, document


def logit(x: Sequence[float], context_words: int, prompt_words: int = 0,
          weights: Sequence[Sequence[float]] = WEIGHTS) -> float:  # fmt: skip
    """Log-odds that the response is hallucinated."""
    total = 0.0
    for share, w in zip(kind_mix(context_words, prompt_words), weights, strict=True):
        if share:
            total += share * (w[0] + sum(wi * xi for wi, xi in zip(w[1:], x, strict=True)))
    return total


def probability(x: Sequence[float], context_words: int, prompt_words: int = 0,
                weights: Sequence[Sequence[float]] = WEIGHTS) -> float:  # fmt: skip
    """Probability that the response is hallucinated (the logistic of :func:`logit`)."""
    z = logit(x, context_words, prompt_words, weights)
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
