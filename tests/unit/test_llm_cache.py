"""Caches in detectors.llm: token counts equal tiktoken's, LRU bounds hold, pickles stay small.

The groundedness equality with the pre-cache implementation is in test_llm_equivalence.
"""

from __future__ import annotations

import pickle
import random
import sys

import pytest

from detectors.llm import (
    GroundednessScorer,
    _tokens,
    count_tokens,
    tokens_for_event,
)
from detectors.llm._lru import LRUCache
from tests.unit.test_llm_equivalence import _events, _pool, _rand_text
from tripwire.tiktoken_cache import ensure_tiktoken_cache

# ---- token counts ---------------------------------------------------------------------------


def test_token_counts_equal_tiktoken_encode():
    import tiktoken

    ensure_tiktoken_cache()
    _tokens._doc_counts.clear()
    rng = random.Random(4)
    pool = _pool(rng, 40) + ["Ünïcödé — naïve café, 東京タワー 🎉🚀👩‍💻"] * 2
    for i in range(300):
        model = ["gpt-4o", "gpt-4", "claude-3-5-sonnet", "openai/gpt-4.1"][i % 4]
        enc = tiktoken.get_encoding(_tokens.encoding_name_for(model))
        event = {"llm_model": model, "prompt": _rand_text(rng, 10),
                 "context": [rng.choice(pool) for _ in range(rng.randint(0, 5))],
                 "response": _rand_text(rng, 30)}  # fmt: skip
        expected_in = sum(len(enc.encode(t)) for t in [event["prompt"], *event["context"]])
        assert tokens_for_event(event) == (expected_in, len(enc.encode(event["response"])),
                                           "tiktoken")  # fmt: skip
        assert tokens_for_event(event) == tokens_for_event(dict(event))  # cached == first
    info = _tokens._doc_counts.info()
    assert info.hits > 300 and info.items <= len(set(pool)) * 4


def test_token_cache_is_bounded():
    cache = _tokens._doc_counts
    saved = (cache.max_items, cache.max_bytes)
    try:
        cache.clear()
        cache.max_items, cache.max_bytes = 50, 10_000
        for i in range(400):
            doc = f"chunk {i} " * (i % 20)
            assert _tokens._docs_tokens("cl100k_base", [doc]) == count_tokens("gpt-4", doc)
            assert len(cache) <= 50 and cache.info().nbytes <= 10_000
    finally:
        cache.clear()
        cache.max_items, cache.max_bytes = saved


# ---- the LRU itself and pickling ------------------------------------------------------------


def test_lru_evicts_least_recently_used_within_both_bounds():
    lru = LRUCache(max_items=3, max_bytes=100)
    for key in "abc":
        lru.put(key, key.upper(), 10)
    assert lru.get("a") == "A"  # a is now the most recent
    lru.put("d", "D", 10)
    assert lru.get("b") is None and lru.get("a") == "A" and len(lru) == 3
    lru.put("big", "X", 75)  # 30 + 75 > 100: the oldest (c) goes
    assert lru.info().nbytes == 95 and lru.get("c") is None and lru.get("d") == "D"
    lru.put("big", "X", 85)  # replacing a key re-counts its bytes: the oldest (a) goes
    assert lru.info()[2:4] == (2, 95) and lru.get("a") is None and lru.get("d") == "D"
    lru.put("huge", "Y", 101)  # larger than the whole cache: not stored
    assert lru.get("huge") is None and lru.info().nbytes <= 100
    off = LRUCache(0, 100)
    off.put("a", 1, 1)
    assert off.get("a") is None and len(off) == 0
    with pytest.raises(ValueError):
        LRUCache(-1, 10)


def test_scorer_cache_is_bounded_by_documents_and_bytes():
    rng = random.Random(3)
    docs = list(dict.fromkeys(_rand_text(rng, 40) for _ in range(300)))
    by_items = GroundednessScorer(doc_cache_items=20)
    by_bytes = GroundednessScorer(doc_cache_bytes=60_000)
    for doc in docs:
        by_items.score("Refunds are processed in 5 days.", [doc, docs[0]])
        by_bytes.score("Refunds are processed in 5 days.", [doc, docs[0]])
        assert by_items.cache_info().items <= 20
        assert by_bytes.cache_info().nbytes <= 60_000
    assert 2 < by_bytes.cache_info().items < len(docs)
    by_items.clear_cache()
    assert by_items.cache_info().items == 0


def test_cache_is_left_out_of_pickles():
    scorer = GroundednessScorer(min_score=0.3, doc_cache_items=100)
    events = list(_events(11, 100))
    empty_size = len(pickle.dumps(scorer))
    before = [scorer.score(*e) for e in events]
    assert scorer.cache_info().items > 20
    blob = pickle.dumps(scorer)
    assert len(blob) == empty_size  # the cached indexes are not in the pickle
    clone = pickle.loads(blob)
    assert clone.cache_info()[2:] == (0, 0, 100, 64 << 20) and clone.min_score == 0.3
    assert [clone.score(*e) for e in events] == before
    assert clone.cache_info().items > 20
    lru = pickle.loads(pickle.dumps(LRUCache(5, 50)))
    assert lru.info() == (0, 0, 0, 0, 5, 50)
    old_state = {k: v for k, v in scorer.__getstate__().items() if k != "_docs"}
    old = GroundednessScorer.__new__(GroundednessScorer)
    old.__setstate__(old_state)  # a scorer pickled before the cache existed
    assert old.cache_info().max_items == 4096 and old.score(*events[0]) == before[0]


@pytest.mark.parametrize("kwargs", [{"doc_cache_items": -1}, {"doc_cache_bytes": -5}])
def test_bad_cache_bounds_rejected(kwargs):
    with pytest.raises(ValueError, match="cache bounds"):
        GroundednessScorer(**kwargs)


def test_index_size_estimate_is_of_the_right_order():
    from detectors.llm._source import TextIndex, index_size

    doc = " ".join(_rand_text(random.Random(2), 200) for _ in range(3))
    index = TextIndex(doc)
    index.numbers()
    held = sum(sys.getsizeof(x) for x in (index.unigrams, index.bigrams, index.tokstr))
    held += sum(sys.getsizeof(p) for p in index.bigrams)  # the pair strings only it holds
    assert held < index_size(index) < 2 * held + 2 * sys.getsizeof(doc)
