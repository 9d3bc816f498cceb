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


def test_the_fast_path_equals_the_reference_path_on_rag_answers():
    """RAG-style answers quote their chunks: the fast path takes those sentences' checks from
    the document's cache (and uses its screens and count fields for the rest); every result
    equals the reference path's, with and without the prompt."""
    from benchmarks.llm_scoring import make_events, make_pool

    events = make_events(80, seed=5, pool=make_pool(40, seed=6))
    events += make_events(20, seed=8, unique_contexts=True)
    events += [{"response": "The Secret Place was released 2014. It was not released in "
                            "1995, says Tana French.", "context": BOOK, "prompt": QUESTION}]
    scorer = GroundednessScorer()
    for e in events:
        for prompt in (e["prompt"], ""):
            fast = scorer.score(e["response"], e["context"], prompt)
            ev, reference = scorer.evidence(e["response"], e["context"], prompt, fast=False)
            assert fast == scorer.judge(ev, reference), e
    taken = sum(q is not None for index, _ in scorer._docs._data.values()
                for q in index._quotes.values())  # fmt: skip
    assert taken > 300


def test_quoting_a_negation_or_a_correction_of_the_source_is_no_contradiction():
    context = ["Tana French did not write Dracula. Actually, Bram Stoker wrote Dracula."]
    for response in ["Tana French did not write Dracula.",
                     "Actually, Bram Stoker wrote Dracula."]:  # fmt: skip
        index = [SourceIndex(context[0])]
        fast = collect_evidence(response, index, None)
        full = collect_evidence(response, index, None, fast=False)
        assert fast.negations == full.negations == 0
        assert fast.corrections == full.corrections


def test_names_read_as_titles_and_initials():
    from detectors.llm._claims_text import names_in

    assert names_in(["Harry Potter and the Prisoner of Azkaban has genre Family",
                     "No, actually J.K. Rowling wrote The Titan's Curse.",
                     "It was by P. D. James and Ludwig van Beethoven.",
                     "I'm sure I've seen Back to the Future."]) == [
        ["Harry Potter", "Prisoner of Azkaban", "Family"], ["J.K. Rowling", "Titan's Curse"],
        ["P. D. James", "Ludwig van Beethoven"], ["Back to the Future"]]
    assert sentences_of("No, actually J.K. Rowling wrote it. It sold well in the U.S. "
                        "The end.") == ["No, actually J.K. Rowling wrote it.",
                                        "It sold well in the U.S.", "The end."]  # fmt: skip


def test_chat_transcripts_split_at_speaker_tags():
    history = "[Human]: Do you like Iron Man [Assistant]: Sure do! Robert Downey Jr. is great."
    index = SourceIndex(history)
    assert index.turns and not SourceIndex("Tell me about Iron Man.").turns
    assert not SourceIndex("system: Answer from the context.\n\nuser: Refund?").turns
    assert index.sentences == ["Do you like Iron Man", "Sure do!", "Robert Downey Jr. is great."]
    assert all(not names for j in range(3) for names in [
        [n for n, _ in index.sentence_names(j) if n in ("Human", "Assistant", "Sure")]])


def test_a_question_that_asserts_is_checked():
    from detectors.llm._claims_text import asserted

    assert asserted("Did you know he also starred in Hook?") == "he also starred in Hook."
    assert asserted("It starred Matt Damon, didn't it?") == "It starred Matt Damon."
    assert asserted("Do you know who else starred?") is None
    assert asserted("Have you seen it?") is None
    g = score_groundedness("Did you know that it was released in 1995?", BOOK, QUESTION)
    assert g.reasons == ["number contradicts context: 1995 (context: 2014)"] and g.flagged


CHAT_KNOWLEDGE = ["Zodiac is starring Robert Downey Jr. Zodiac is starring Jake Gyllenhaal. "
                  "Zodiac has genre Crime Fiction."]
CHAT = ("[Human]: Do you like Zodiac? [Assistant]: Yes, Robert Downey Jr. is great in it. "
        "[Human]: Who else is in it?")


def test_fresh_and_restated_context_entities_in_a_chat():
    """A reply that brings in a knowledge entity the chat has not named draws on the
    knowledge; one that restates the entities under discussion and adds to them is the
    hallucination pattern of the development data."""
    fresh, _ = GroundednessScorer().evidence("Jake Gyllenhaal starred as well.",
                                             CHAT_KNOWLEDGE, CHAT)  # fmt: skip
    restated, _ = GroundednessScorer().evidence("Robert Downey Jr. starred in Zodiac with "
                                                "Tom Hanks.", CHAT_KNOWLEDGE, CHAT)  # fmt: skip
    assert (fresh.fresh_entities, fresh.restated_entities) == (1, 0)
    assert restated.restated_entities == 2 and restated.fresh_entities == 0
    good = score_groundedness("Jake Gyllenhaal starred as well.", CHAT_KNOWLEDGE, CHAT)
    bad = score_groundedness("Robert Downey Jr. starred in Zodiac with Tom Hanks.",
                             CHAT_KNOWLEDGE, CHAT)  # fmt: skip
    assert good.score is not None and bad.score is not None and good.score > bad.score
    # a swapped name alone does not flag a chat reply (grounded replies add true co-stars);
    # it must still rank the reply well below the fresh one
    assert not good.flagged and bad.score < good.score - 0.3


def test_a_denial_and_a_contradicted_genre():
    denial, _ = GroundednessScorer().evidence("No, he wasn't in it.", CHAT_KNOWLEDGE, CHAT)
    polite, _ = GroundednessScorer().evidence("No problem, he was in it.", CHAT_KNOWLEDGE, CHAT)
    assert denial.denials == 1 and polite.denials == 0
    g = score_groundedness("Zodiac is a romantic comedy.", CHAT_KNOWLEDGE, CHAT)
    assert g.reasons[:2] == ["category contradicts context: comedy (context: crime, fiction)",
                             "category contradicts context: romantic (context: crime, fiction)"]
    same = score_groundedness("Zodiac is a crime film.", CHAT_KNOWLEDGE, CHAT)
    assert not any(r.startswith("category") for r in same.reasons)
    other_class = score_groundedness("He plays basketball.", CHAT_KNOWLEDGE, CHAT)
    assert not any(r.startswith("category") for r in other_class.reasons)


def test_the_kind_of_request_is_read_off_its_shape():
    from detectors.llm._model import kind_mix

    chat = GroundednessScorer().evidence("Yes.", CHAT_KNOWLEDGE, CHAT)[0].shape
    snippet = GroundednessScorer().evidence("Yes.", CHAT_KNOWLEDGE)[0].shape
    passage = GroundednessScorer().evidence("Yes.", PASSAGE, QUESTION)[0].shape
    assert kind_mix(*chat)[1] == 1.0  # a chat transcript: conversation
    assert kind_mix(*snippet)[3] > 0.9  # short statements about names, no prompt: snippet
    assert kind_mix(*passage)[0] > 0.9  # a passage and a question: answer
    assert kind_mix(500, 25, 0.1, 10, False)[2] == 1.0  # a long context: document


def test_speaker_tags_are_found_as_the_regular_expression_finds_them():
    """split_turns/has_turns try the tag pattern only where a tag can start; on random texts
    they equal a plain scan with it (texts without ":" are left alone by definition)."""
    import random

    from detectors.llm._claims_text import _TURN_RE, has_turns, split_turns

    rng = random.Random(1)
    alphabet = ["[", "]", ":", "\n", " ", "\t", "human", "Human", "assistant", "user", "USER",
                "system", "ai", "bot", "x", "[Human]:", "User:", "ſ", "ı", "\r"]  # fmt: skip
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert split_turns(text) == (_TURN_RE.sub("\n", text) if ":" in text else text)
        tags = [m.group().lower() for m in _TURN_RE.finditer(text)] if ":" in text else []
        assert has_turns(text) == any(w in t for t in tags for w in ("assistant", "ai", "bot",
                                                                      "agent"))  # fmt: skip
