"""Per-document caching in detectors.llm changes no word-overlap (LexicalScorer) result.

Oracle: a verbatim copy of the pre-cache implementation (commit 3fe8659: one ``_Source``
over the texts joined by line breaks, the per-character sentence regex, the generator
``number_values``), run on adversarial random events (numbers and names across document
boundaries, ISO dates, bullets, end-mark runs, final sigma, blank and repeated documents)
and on character fuzz.
"""

from __future__ import annotations

import random
import re

import pytest

from detectors.llm import _lexical, _text
from detectors.llm._lexical import LexicalScorer as GroundednessScorer

# ---- oracle: the implementation before per-document caching (verbatim logic) ---------------

_OLD_SENTENCE_RE = re.compile(r"(?:[^.!?]|[.!?]+(?=\S))+[.!?]*")


def _old_split_sentences(text):
    out = []
    for line in text.splitlines():
        lead = _text._LEAD_RE.match(line)
        body = line[lead.end() :] if lead else line
        out.extend(s for s in (m.strip() for m in _OLD_SENTENCE_RE.findall(body)) if s)
    return out


def _old_number_values(text_lower):
    for m in _text._NUMBER_RE.finditer(text_lower):
        digits, short, word = m.groups()
        values = _text._parse_number(digits)
        mult = _text._MULT[short or word] if (short or word) else 1.0
        raw = m.group(0).rstrip(".,")
        for value in values:
            yield raw, round(value * mult, 6)


def _old_name_spans(sentence):
    start = _text._LEAD_RE.match(sentence)
    first = start.end() if start else 0
    out = []
    for m in _text._NAME_RE.finditer(sentence):
        span = m.group(0)
        if m.start() == first:
            head, _, rest = span.partition(" ")
            if not rest.strip():
                continue
            if head.lower() in _text.STOPWORDS:
                span = rest.strip()
        if span.lower() not in _text._NOT_NAMES:
            out.append(span)
    return out


class _OldSource:
    def __init__(self, texts):
        raw = "\n".join(texts)
        self._lower = raw.lower()
        self._toks = _text.tokens(self._lower)
        stems = _text.content_stems(self._toks)
        months = _text.iso_months(raw)
        self.unigrams = set(stems)
        self.unigrams.update(months)
        self.bigrams = set(zip(stems, stems[1:], strict=False))
        self.phrases = " ".join([" ", *self._toks, *months, " "])
        self._numbers = None

    @property
    def numbers(self):
        if self._numbers is None:
            self._numbers = {value for _, value in _old_number_values(self._lower)}
            self._numbers.update(_text.word_number_values(set(self._toks)))
        return self._numbers

    def has_phrase(self, name):
        return f" {' '.join(_text.tokens(name.lower()))} " in self.phrases


def _old_score(scorer, response, context, prompt=""):
    if isinstance(context, str):
        context = [context]
    docs = [d for d in context if d and not d.isspace()]
    reference = "context" if docs else ("prompt" if prompt.strip() else "none")
    if reference == "none":
        return _lexical.Groundedness(score=None, flagged=False, reference="none")
    source = _OldSource([*docs, prompt] if prompt else docs)
    uni_hit = uni_all = bi_hit = bi_all = 0
    weakest = fallback = None
    names = []
    sentences = _old_split_sentences(response)
    for sentence in sentences:
        stems = _text.content_stems(_text.tokens(sentence.lower()))
        names.extend(n for n in _old_name_spans(sentence) if not source.has_phrase(n))
        if not stems:
            continue
        hits = sum(1 for s in stems if s in source.unigrams)
        pairs = list(zip(stems, stems[1:], strict=False))
        uni_hit, uni_all = uni_hit + hits, uni_all + len(stems)
        bi_hit += sum(1 for p in pairs if p in source.bigrams)
        bi_all += len(pairs)
        candidate = (hits / len(stems), sentence)
        if len(stems) >= scorer.min_sentence_words:
            weakest = min(weakest or candidate, candidate, key=lambda c: c[0])
        fallback = min(fallback or candidate, candidate, key=lambda c: c[0])
    values = list(_old_number_values("\n".join(sentences).lower()))
    numbers = [raw for raw, v in values if v not in source.numbers] if values else []
    dedupe = _lexical._dedupe
    return scorer._result(uni_hit, uni_all, bi_hit, bi_all, weakest or fallback,
                          dedupe(numbers), dedupe(names), reference)  # fmt: skip


# ---- adversarial random events --------------------------------------------------------------

_WORDS = (
    "refund refunds refunded policy customers customer request requests processed business "
    "days plan plans cost costs support tier tiers office invoice price priced pricing "
    "the a of to in for with on by and is are was three five twenty hundred"
).split()
_NAMES = ["Jane Doe", "Acme Corp", "Berlin", "John Smith", "Élodie Martin", "The Eiffel Tower",
          "ΟΔΥΣΣΕΥΣ", "Ørsted", "I", "March", "Jane", "Doe"]  # fmt: skip
_NUMS = ["5", "30", "1,200", "1200", "1.2k", "2.5 million", "3.11.7", "15%", "$20", "1,2",
         "2024-03-05", "1999-12-31", "42.", "7,", "٣", "3 thousand", "10bn"]  # fmt: skip
_PUNCT = [".", ". ", "! ", "? ", "... ", "?! ", ".\n", "\n- ", "\n1. ", "\n* ", " (", ") ",
          ", ", "; ", "\n", " . ", "\u2028", "'s "]  # fmt: skip


def _rand_text(rng, n_words):
    parts = []
    for _ in range(n_words):
        roll = rng.random()
        if roll < 0.1:
            parts.append(rng.choice(_NAMES))
        elif roll < 0.2:
            parts.append(rng.choice(_NUMS))
        elif roll < 0.35:
            parts.append(rng.choice(_PUNCT))
        else:
            word = rng.choice(_WORDS)
            parts.append(word.capitalize() if rng.random() < 0.15 else word)
    return rng.choice(["", " ", "- ", "1. ", ". ", "'"]) + " ".join(parts)


def _pool(rng, n):
    docs = [_rand_text(rng, rng.randint(0, 60)) for _ in range(n)]
    docs += ["", "   ", "\n", "costs 5", "million users in Berlin", "Jane", "Doe said 7",
             "thousand. Done", "trillion", "2.5", "x 1,"]  # boundary cases  # fmt: skip
    return docs


def _events(seed, n):
    rng = random.Random(seed)
    pool = _pool(rng, 60)
    for _ in range(n):
        context = [rng.choice(pool) for _ in range(rng.randint(0, 6))]
        if rng.random() < 0.5:  # reuse chunks of the retrieved documents, as answers do
            bits = [d[rng.randrange(len(d) + 1) :][:80] for d in context if d]
            response = " ".join(bits + [_rand_text(rng, rng.randint(0, 25))])
        else:
            response = _rand_text(rng, rng.randint(0, 40))
        prompt = rng.choice(["", " ", "What is the refund policy?", _rand_text(rng, 8),
                             "million", "Jane"])  # fmt: skip
        yield response, (context[0] if context and rng.random() < 0.05 else context), prompt


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_groundedness_equals_the_pre_cache_implementation(seed):
    cached = GroundednessScorer()
    small = GroundednessScorer(doc_cache_items=7)  # constant eviction
    uncached = GroundednessScorer(doc_cache_items=0)
    n = 0
    for response, context, prompt in _events(seed, 300):
        expected = _old_score(uncached, response, context, prompt)
        assert uncached.score(response, context, prompt) == expected, (response, context, prompt)
        assert cached.score(response, context, prompt) == expected
        assert small.score(response, context, prompt) == expected
        n += expected.reference == "context"
    assert n > 150 and cached.cache_info().hits > 300 and uncached.cache_info().items == 0


def test_benchmark_rag_events_score_as_before():
    from benchmarks.llm_scoring import make_events, make_pool

    events = make_events(150, seed=3, pool=make_pool(60, seed=4))
    cached = GroundednessScorer()
    for e in events:
        expected = _old_score(cached, e["response"], e["context"], e["prompt"])
        assert cached.score(e["response"], e["context"], e["prompt"]) == expected
    assert cached.cache_info().hits > 400


def test_scores_equal_with_other_thresholds():
    scorer = GroundednessScorer(min_score=0.8, max_unsupported_names=2, min_sentence_support=0.4,
                                unigram_weight=0.5, min_sentence_words=1,
                                flag_without_context=True)  # fmt: skip
    for response, context, prompt in _events(9, 200):
        assert scorer.score(response, context, prompt) == _old_score(
            scorer, response, context, prompt
        )


def test_boundary_cases_use_the_joined_text():
    scorer = GroundednessScorer()
    cases = [
        ("It has 5000000 users.", ["It costs 5", "million users"], ""),  # "5\nmillion"
        ("It costs 5 dollars.", ["It costs 5", "million users"], ""),
        ("Ask Jane Doe today.", ["Ask Jane", "Doe today"], ""),  # phrase across documents
        ("Support costs refund policy.", ["support costs", "refund policy"], "policy"),
        ("Paid on 2024-03-05 in March.", ["Paid 2024-03-05"], "x 5"),
    ]
    for response, context, prompt in cases:
        assert scorer.score(response, context, prompt) == _old_score(
            scorer, response, context, prompt
        )
    assert scorer.score(*cases[0]).unsupported_numbers == []
    assert scorer.score(*cases[1]).unsupported_numbers == ["5"]
    assert scorer.score(*cases[2]).unsupported_names == []


def test_split_sentences_equals_the_sentence_regex():
    rng = random.Random(5)
    alphabet = ["a", "B", " ", "  ", ".", "!", "?", "\n", "5", "-", "*", "1.", "(", "\t", "\u00a0"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _text.split_sentences(text) == _old_split_sentences(text), repr(text)


def test_number_list_and_name_spans_equal_the_old_functions():
    rng = random.Random(6)
    for _ in range(3000):
        text = _rand_text(rng, rng.randint(0, 30))
        assert _text.number_list(text.lower()) == list(_old_number_values(text.lower()))
        for sentence in _old_split_sentences(text):
            assert _text.name_spans(sentence) == _old_name_spans(sentence)


def test_number_list_equals_number_values_character_fuzz():
    rng = random.Random(12)
    alphabet = ["1", "2", "0", ",", ".", "k", "m", "b", "n", " ", "\x1c", "\x1f", "\x85", "\xa0",
                "\t", "\n", " million", " thousand", "\x0bbillion", "٣", "x", "_", "-"]  # fmt: skip
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _text.number_list(text) == list(_old_number_values(text)), repr(text)


def test_names_equal_the_old_name_spans_character_fuzz():
    rng = random.Random(13)
    alphabet = ["A", "Bc", "É", "Ø", "Σ", "b", " ", "  ", "\t", ".", "-", "_", "1", "2.", "I",
                "The ", "- ", "(", "'", "ß", "ǅ", "x", "\u00a0"]  # fmt: skip
    for _ in range(5000):
        sentences = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
                     for _ in range(rng.randint(0, 4))]  # fmt: skip
        expected = [n for s in sentences for n in _old_name_spans(s)]
        assert _text.names_in(sentences) == expected, sentences
        assert [n for s in sentences for n in _text.name_spans(s)] == expected


def test_sentence_tokens_equal_per_sentence_tokens():
    rng = random.Random(8)
    for _ in range(2000):
        sentences = _text.split_sentences(_rand_text(rng, rng.randint(0, 40)) + " ΟΔΥΣΣΕΥΣ. Σ")
        low, words = _text.sentence_tokens(sentences)
        assert low == "\n".join(sentences).lower()
        assert words == [_text.tokens(s.lower()) for s in sentences]
