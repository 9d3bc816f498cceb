"""Groundedness scoring (detectors.llm.GroundednessScorer): claims against the context.

The evidence kinds themselves are tested in test_llm_claims.py; here: the scorer's contract
(reference, thresholds, normalisation, pickling) on a small support-desk context.
"""

from __future__ import annotations

import pickle

import pytest

from detectors.llm import Groundedness, GroundednessScorer, score_groundedness

CONTEXT = [
    "Acme's refund policy: customers can request a full refund within 30 days of purchase. "
    "Refunds are processed within 5 business days. The policy was updated on 2024-03-05 by "
    "Jane Doe, head of Customer Support.",
    "Enterprise plans cost $1,200 per year and include priority support from the Berlin office. "
    "Three support tiers exist.",
]
PROMPT = "What is the refund policy?"


def test_grounded_answer_scores_high_and_is_not_flagged():
    g = score_groundedness(
        "Customers can request a full refund within 30 days of purchase. "
        "Refunds are processed within 5 business days.",
        CONTEXT,
        PROMPT,
    )
    assert g.score is not None and g.score >= 0.9
    assert not g.flagged and g.reference == "context"
    assert g.unsupported_numbers == [] and g.unsupported_names == []


def test_invented_numbers_and_names_are_flagged_and_listed():
    g = score_groundedness(
        "Customers can request a full refund within 60 days of purchase. "
        "The policy was written by John Smith at the Paris office and costs $1,500.",
        CONTEXT,
        PROMPT,
    )
    assert g.flagged
    assert g.unsupported_numbers == ["60", "1,500"]
    assert g.unsupported_names == ["John Smith", "Paris"]
    assert g.weakest_sentence.startswith("The policy was written by John Smith")


@pytest.mark.parametrize(
    "response",
    [
        "Enterprise plans cost $1200 per year.",  # 1,200 == 1200
        "Enterprise plans cost 1.2k dollars per year.",  # k suffix
        "The policy was updated on March 5, 2024 by Jane Doe.",  # ISO date in context
        "There are 3 support tiers.",  # spelled-out number in context
        # list markers are not numbers to check
        "Refunds:\n1. Request within 30 days.\n2. Processed within 5 business days.",
    ],
)
def test_number_and_date_normalisation(response):
    g = score_groundedness(response, CONTEXT)
    assert g.unsupported_numbers == [] and g.unsupported_names == [], g
    assert not g.flagged


def test_wrong_month_is_an_unsupported_name():
    g = score_groundedness("The policy was updated on April 5, 2024 by Jane Doe.", CONTEXT)
    assert g.unsupported_names == ["April"] and g.flagged
    assert any(r.startswith("name ") and "April" in r for r in g.reasons), g.reasons


def test_inflected_paraphrase_is_supported():
    g = score_groundedness(
        "Refund requests are accepted for 30 days after purchasing. "
        "Processing a refund takes 5 business days.",
        CONTEXT,
    )
    assert g.unigram_precision is not None and g.unigram_precision >= 0.7
    assert not g.flagged


def test_synonym_paraphrase_is_a_known_weakness():
    """Word matching cannot see synonyms: a faithful rewording scores low (documented)."""
    g = score_groundedness(
        "You may get your money back if you ask during the first month.", CONTEXT
    )
    assert g.score is not None and g.score < 0.5 and g.flagged
    assert g.unsupported_numbers == [] and g.unsupported_names == []
    assert g.reasons and g.reasons[0].startswith("content not in context: ")


def test_off_topic_answer_scores_low_and_says_why():
    g = score_groundedness("The mitochondria is the powerhouse of the cell.", CONTEXT)
    assert g.score is not None and g.score < 0.2 and g.flagged
    assert g.reasons == ['content not in context: "The mitochondria is the powerhouse of the '
                         'cell." (0% of its words)']


@pytest.mark.parametrize("response", ["", "   \n", "OK.", "Yes!"])
def test_response_without_content_words(response):
    g = score_groundedness(response, CONTEXT)
    assert g.score is None and not g.flagged and g.reference == "context"


def test_bare_unsupported_number_is_scored_and_named():
    g = score_groundedness("42.", CONTEXT)
    supported = score_groundedness("30.", CONTEXT)
    assert g.score is not None and supported.score is not None and g.score < supported.score
    assert g.unsupported_numbers == ["42"] and g.reasons == ["number not in context: 42"]
    assert not supported.flagged and supported.reasons == []


def test_no_context_scores_against_prompt_but_does_not_flag():
    g = score_groundedness("Paris is the capital of France, says Victor Hugo.", [],
                           "What is the capital of France?")  # fmt: skip
    assert g.reference == "prompt" and g.score is not None and 0 < g.score < 1
    assert g.unsupported_names == ["Victor Hugo"] and not g.flagged
    strict = GroundednessScorer(flag_without_context=True, min_score=0.8)
    assert strict.score("Paris, says Victor Hugo.", [], "What is the capital?").flagged


def test_nothing_to_compare_against():
    for context in ([], ["", "  "]):
        g = score_groundedness("Paris is the capital of France.", context, "")
        assert g == Groundedness(score=None, flagged=False, reference="none")


def test_context_given_as_a_single_string():
    g = score_groundedness("Refunds are processed within 5 business days.", CONTEXT[0])
    assert g == score_groundedness("Refunds are processed within 5 business days.", CONTEXT[:1])
    assert g.score is not None and g.score >= 0.9 and not g.flagged and g.reasons == []


def test_sentence_initial_capitals_are_not_names():
    g = score_groundedness("Zorblax handles refunds. Refunds reach Zorblax.", CONTEXT)
    assert g.unsupported_names == ["Zorblax"]  # only the mid-sentence occurrence counts
    g = score_groundedness("However, Customers can request a refund.", CONTEXT)
    assert g.unsupported_names == []  # capitalised but present in the context
    g = score_groundedness("The Berlin office offers priority support.", CONTEXT)
    assert g.unsupported_names == []


def test_thresholds_are_parameters():
    response = "Customers can request a full refund within 30 days, as Bob Marley says."
    default = score_groundedness(response, CONTEXT)
    assert default.score is not None and default.flagged
    assert default.reasons == ["name not in context: Bob Marley"]
    lenient = GroundednessScorer(min_score=default.score - 0.01)
    assert not lenient.score(response, CONTEXT).flagged
    grounded = "Customers can request a full refund within 30 days of purchase."
    assert not score_groundedness(grounded, CONTEXT).flagged
    assert GroundednessScorer(min_score=1.0).score(grounded, CONTEXT).flagged


@pytest.mark.parametrize("kwargs", [{"min_score": 1.5}, {"min_score": -0.1}])
def test_bad_parameters_rejected(kwargs):
    with pytest.raises(ValueError):
        GroundednessScorer(**kwargs)


def test_scorer_pickles_and_score_is_bounded():
    scorer = pickle.loads(pickle.dumps(GroundednessScorer(min_score=0.3)))
    g = scorer.score("Refunds within 30 days of purchase, says Jane Doe.", CONTEXT)
    assert g.score is not None and 0.0 <= g.score <= 1.0 and not g.flagged
    assert scorer.min_score == 0.3


def test_fully_supported_answers_score_at_least_0_9():
    for response in ["Refunds are processed within 5 business days.",
                     "Enterprise plans cost $1,200 per year.", "Berlin"]:
        g = score_groundedness(response, CONTEXT, PROMPT)
        assert g.score is not None and g.score >= 0.9 and g.reasons == [], (response, g)
