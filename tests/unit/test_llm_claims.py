"""Claim evidence (detectors.llm._claims) and how the scorer weighs it.

Contexts are in the style of the data the scorer was calibrated on (HaluEval's knowledge
snippets, passages and articles), but written here.
"""

from __future__ import annotations

import pytest

from detectors.llm import GroundednessScorer, score_groundedness
from detectors.llm._claims import REASON_KINDS, collect_evidence
from detectors.llm._claims_index import SourceIndex, prepare, sentences_of

BOOK = ["The Secret Place is written by Tana French. The Secret Place was released 2014."]
FILM = ["Full Metal Jacket is directed by Stanley Kubrick. Full Metal Jacket is starring "
        "Matthew Modine."]
QUESTION = "Tell me about it."


def _kinds(reasons: list[str]) -> list[str]:
    return [r.split(":")[0] for r in reasons]


def test_contradicted_number_is_named_with_the_context_value():
    g = score_groundedness("The Secret Place was released in 1995.", BOOK, QUESTION)
    assert g.reasons == ["number contradicts context: 1995 (context: 2014)"]
    assert g.flagged and g.unsupported_numbers == ["1995"]
    assert not score_groundedness("The Secret Place was released in 2014.", BOOK, QUESTION).flagged


def test_absent_number_is_weaker_evidence_than_a_contradicted_one():
    response = "Tana French wrote it and it was released in 1995."
    no_year = ["The Secret Place is written by Tana French. The Secret Place was released by "
               "Hodder."]
    absent = score_groundedness(response, no_year, QUESTION)
    contradicted = score_groundedness(response, BOOK, QUESTION)
    assert absent.reasons == ["number not in context: 1995"]
    assert contradicted.reasons == ["number contradicts context: 1995 (context: 2014)"]
    assert contradicted.score is not None and absent.score is not None
    assert contradicted.score < absent.score


#: The same facts as a prose passage (a request to answer from it, not a chat over a few
#: knowledge statements, where a film's other actors may well be true: see _model.KINDS).
PASSAGE = ["Full Metal Jacket is a 1987 war film directed, co-written and produced by Stanley "
           "Kubrick, starring Matthew Modine, Vincent D'Onofrio and Adam Baldwin, based on the "
           "novel The Short-Timers by Gustav Hasford."]


def test_swapped_name_contradicts_the_context():
    g = score_groundedness("Full Metal Jacket is starring Brad Pitt.", FILM, QUESTION)
    right = score_groundedness("Full Metal Jacket is starring Matthew Modine.", FILM, QUESTION)
    assert g.reasons == ["name contradicts context: Brad Pitt (context: Matthew Modine)"]
    assert g.score is not None and right.score is not None and g.score < right.score - 0.1
    assert right.reasons == [] and not right.flagged
    g = score_groundedness("Full Metal Jacket is starring Brad Pitt.", PASSAGE, QUESTION)
    assert _kinds(g.reasons) == ["name contradicts context"] and g.flagged


def test_added_negation_contradicts_the_context():
    g = score_groundedness("Full Metal Jacket is not directed by Stanley Kubrick.", FILM,
                           QUESTION)  # fmt: skip
    plain = score_groundedness("Full Metal Jacket is directed by Stanley Kubrick.", FILM,
                               QUESTION)  # fmt: skip
    assert _kinds(g.reasons) == ["negation contradicts context"] and plain.reasons == []
    assert g.score is not None and plain.score is not None and g.score < plain.score
    assert not plain.flagged
    passage = score_groundedness("Full Metal Jacket is not directed by Stanley Kubrick.",
                                 PASSAGE, QUESTION)  # fmt: skip
    assert _kinds(passage.reasons) == ["negation contradicts context"] and passage.flagged
    hedge = score_groundedness("I'm not sure, but Full Metal Jacket is directed by Stanley "
                               "Kubrick.", FILM, QUESTION)  # fmt: skip
    assert "negation contradicts context" not in _kinds(hedge.reasons) and not hedge.flagged


def test_changed_relation_between_two_context_entities():
    context = ["Damian Lillard plays basketball for the Portland Trail Blazers. Basketball has "
               "examples: many films. Some films are comedies. Space Jam is starring Michael "
               "Jordan."]
    g = score_groundedness("Damian Lillard starred in Space Jam.", context, QUESTION)
    assert "relation not in context: Damian Lillard + Space Jam" in g.reasons
    ok = score_groundedness("Michael Jordan starred in Space Jam.", context, QUESTION)
    assert "relation not in context" not in _kinds(ok.reasons)


def test_neutral_chit_chat_beside_a_grounded_answer_is_not_flagged():
    for context, prompt, answer in [
        (BOOK, QUESTION, "The Secret Place was released in 2014."),
        (["The Oberoi Group is a hotel company with its head office in Delhi."],
         "Where is the head office of the Oberoi family's hotel company?", "Delhi"),
    ]:  # fmt: skip
        plain = score_groundedness(answer, context, prompt)
        for chat in ("Hope this helps! Let me know if you have other questions.",
                     "Great choice, you will enjoy it.", "Have you read it?"):
            padded = score_groundedness(f"{answer.rstrip('.')}. {chat}", context, prompt)
            assert not padded.flagged, (answer, chat, padded)
            assert padded.score == plain.score and padded.reasons == plain.reasons


def test_a_paraphrased_sentence_answer_is_not_flagged():
    context = ["Refunds are available within 14 days of purchase. Contact support at the help "
               "center."]
    for answer in ["You can get a refund within 14 days of purchase by contacting support.",
                   "Sure! Refunds are available for 14 days after purchase; just contact our "
                   "support team."]:  # fmt: skip
        g = score_groundedness(answer, context, "Customer question: refund?")
        assert not g.flagged and g.score is not None and g.score > 0.6, (answer, g)


def test_snippets_glued_without_a_space_are_split():
    assert prepare("Natalie BabbittNatalie Babbitt wrote it") == \
        "Natalie Babbitt Natalie Babbitt wrote it"
    source = prepare("written by Natalie BabbittNatalie Babbitt wrote it", source=True)
    assert sentences_of(source) == ["written by Natalie Babbitt", "Natalie Babbitt wrote it"]
    assert prepare("released 20042004 was the year", source=True) == \
        "released 2004\n2004 was the year"
    assert sentences_of(prepare("starring Robert Downey Jr.Robert Downey Jr. starred in "
                                "Zodiac (Crime Film)Zodiac (Crime Film) is starring Jake "
                                "Gyllenhaal", source=True)) == [  # fmt: skip
        "starring Robert Downey Jr.", "Robert Downey Jr. starred in Zodiac (Crime Film)",
        "Zodiac (Crime Film) is starring Jake Gyllenhaal"]
    g = score_groundedness("Natalie Babbitt wrote Tuck Everlasting.",
                           ["Tuck Everlasting is written by Natalie BabbittNatalie Babbitt wrote "
                            "Tuck Everlasting"], QUESTION)  # fmt: skip
    assert g.reasons == [] and not g.flagged


def test_initials_and_titles_do_not_end_sentences():
    assert sentences_of("It was written by H. G. Wells. Then Dr. Who came.") == [
        "It was written by H. G. Wells.", "Then Dr. Who came."]


def test_questions_assert_nothing():
    g = score_groundedness("Have you heard of Zorblax Prime?", BOOK, QUESTION)
    assert g.score is None and not g.flagged and g.reasons == []


def test_reasons_list_contradictions_before_absences():
    g = score_groundedness("The Secret Place was released in 1995 by Penguin Books in Dublin.",
                           BOOK, QUESTION)  # fmt: skip
    kinds = _kinds(g.reasons)
    assert kinds[0] == "number contradicts context"
    assert kinds == sorted(kinds, key=REASON_KINDS.index)
    assert set(kinds) <= set(REASON_KINDS)


def test_evidence_does_not_depend_on_the_cache_or_on_document_order_of_calls():
    cached, uncached = GroundednessScorer(), GroundednessScorer(doc_cache_items=0)
    for response in ["The Secret Place was released in 1995.", "Tana French wrote it.",
                     "It is starring Brad Pitt."]:  # fmt: skip
        for context in (BOOK, FILM, BOOK + FILM):
            assert cached.score(response, context, QUESTION) == \
                uncached.score(response, context, QUESTION)


def test_prompt_alone_is_scored_but_not_flagged():
    g = score_groundedness("The Secret Place was released in 1995.", [],
                           "The Secret Place was released 2014. When was it released?")
    assert g.reference == "prompt" and g.score is not None and not g.flagged
    assert g.reasons[:1] == ["number contradicts context: 1995 (context: 2014)"]
    strict = GroundednessScorer(flag_without_context=True, min_score=0.6)
    assert strict.score("The Secret Place was released in 1995.", [],
                        "The Secret Place was released 2014.").flagged
    assert not strict.score("The Secret Place was released in 2014.", [],
                            "The Secret Place was released 2014.").flagged


@pytest.mark.parametrize("response", ["", "   ", "OK.", "Yes!", "Sure, thanks.",
                                      "Hope this helps, enjoy!"])
def test_nothing_checkable(response):
    g = score_groundedness(response, BOOK, QUESTION)
    assert g.score is None and not g.flagged and g.reasons == []


def test_source_index_answers_per_sentence_questions():
    index = SourceIndex("Tana French wrote it. It was not released in 2013. The year was 2014.")
    assert [index.negated(j) for j in range(3)] == [False, True, False]
    assert index.sentence_numbers(1) == {2013.0} and index.sentence_numbers(2) == {2014.0}
    assert index.sentence_names(0) == (("Tana French", ("tana", "french")),)
    assert index.stems["french"] == 0b001 and index.stems["year"] == 0b100
    assert index.numbers == {2013.0, 2014.0} and index.nbytes() > len(index.text)
    ev = collect_evidence("Tana French wrote it in 2013.", [index], None)
    assert ev.numbers == 1 and ev.numbers_absent == 0 and ev.names == 1


def test_quoted_sentences_take_a_shortcut_with_the_same_result():
    from benchmarks.llm_scoring import make_events, make_pool
    from detectors.llm._model import features

    events = make_events(60, seed=5, pool=make_pool(40, seed=6))
    events += [{"response": "The Secret Place was released 2014. It was not released in "
                            "1995, says Tana French.", "context": BOOK, "prompt": QUESTION}]
    quoted = 0
    for e in events:
        context = [SourceIndex(d) for d in ([e["context"]] if isinstance(e["context"], str)
                                           else e["context"])]  # fmt: skip
        prompt = SourceIndex(e["prompt"])
        fast = collect_evidence(e["response"], context, prompt)
        full = collect_evidence(e["response"], context, prompt, fast=False)
        assert features(fast) == features(full)
        assert fast.sorted_reasons() == full.sorted_reasons()
        assert (fast.weakest or (1.0, ""))[0] == (full.weakest or (1.0, ""))[0]
        quoted += fast.sentences
    assert quoted > 100


def test_quoting_a_negation_or_a_correction_of_the_source_is_no_contradiction():
    context = ["Tana French did not write Dracula. Actually, Bram Stoker wrote Dracula."]
    for response in ["Tana French did not write Dracula.",
                     "Actually, Bram Stoker wrote Dracula."]:  # fmt: skip
        index = [SourceIndex(context[0])]
        fast = collect_evidence(response, index, None)
        full = collect_evidence(response, index, None, fast=False)
        assert fast.negations == full.negations == 0
        assert fast.corrections == full.corrections
