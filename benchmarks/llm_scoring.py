"""Benchmark: per-event LLM scoring cost (tokens via tiktoken, price, lexical groundedness).

Traffic is modelled on RAG: a knowledge base of ``pool_docs`` distinct chunks (~200 tokens
each); every event retrieves ``docs_per_event`` of them (~1,000 context tokens) by Zipf-like
popularity (rank ** -``zipf_s``), and carries a unique prompt and a unique ~200-token response
that reuses some retrieved sentences and adds invented ones (with numbers and names). No event
has provider usage, so tokens always go through tiktoken. Events are JSON round-tripped, so
each one holds fresh string objects, as events decoded from Kafka do.

Every pass starts with empty caches (a new scorer, the token cache cleared). Three settings:

* ``events_per_s`` (and ``groundedness_*_ms``, ``enricher_us_per_event``): a worker that has
  been running: ``warmup_events`` other events from the same pool go through untimed first.
  ``cache_hit_rate`` is the share of context-document look-ups of the timed events served
  from the cache.
* ``events_per_s_cold_start``: the same events from empty caches (``cache_hit_rate_cold_start``).
* ``*_unique_contexts``: events whose chunks are all distinct, from empty caches (hit rate 0:
  the cost without any reuse, including that of filling the caches).

``enricher_us_per_event*`` time the worker's own ``streams.monitor._app.Enricher``.
Throughputs are the best of ``repeat`` passes (noise on a shared machine only slows a pass);
latency percentiles pool all passes. Single process, one thread.
``python -m benchmarks.llm_scoring`` prints the JSON of :func:`run`.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from detectors.llm import GroundednessScorer, PriceBook, _tokens, count_tokens, tokens_for_event

__all__ = ["make_events", "make_pool", "run"]

_WORDS = """account access analysis backup billing budget cache capacity cluster contract customer
dashboard database delivery deployment discount engineer feature invoice latency license
manager migration network office order outage payment pipeline plan policy price product
quarter refund region release report request revenue security server service shipment storage
subscription support team tenant ticket upgrade usage vendor version warehouse workload""".split()
_VERBS = "includes requires covers reduces increases supports processes limits extends".split()
_GLUE = "the a of to in for with on by within after per and that".split()
_NAMES = ["Jane Doe", "Acme Corp", "Berlin", "Northwind Traders", "Tokyo", "Priya Natarajan"]
_FAKE = ["John Smith", "Globex", "Madrid", "Umbrella Labs"]
_MODELS = ["gpt-4o-mini", "openai/gpt-4.1", "gpt-4o-2024-08-06", "claude-3-5-sonnet", "acme-llm"]


def _sentence(rng: random.Random, names: list[str]) -> str:
    parts = [rng.choice(_GLUE), rng.choice(_WORDS), rng.choice(_VERBS)]
    for _ in range(rng.randint(5, 12)):
        roll = rng.random()
        if roll < 0.08:
            parts.append(rng.choice(names))
        elif roll < 0.14:
            parts.append(rng.choice([f"{rng.randint(2, 9000):,}", f"{rng.randint(1, 99)}%",
                                     f"${rng.randint(10, 5000)}"]))  # fmt: skip
        else:
            parts.append(rng.choice(_WORDS if roll < 0.6 else _GLUE))
    text = " ".join(parts)
    return text[0].upper() + text[1:] + "."


def _sentences(rng: random.Random, tokens: int, names: list[str]) -> list[str]:
    """Sentences adding up to about ``tokens`` tokens (each counted on its own)."""
    out: list[str] = []
    while tokens > 0:
        out.append(_sentence(rng, names))
        tokens -= count_tokens("gpt-4o", " " + out[-1])
    return out


def make_pool(n_docs: int = 2000, seed: int = 11, doc_tokens: int = 200) -> list[list[str]]:
    """A knowledge base: ``n_docs`` distinct chunks of ~``doc_tokens`` tokens, as sentences."""
    rng = random.Random(seed)
    pool: dict[str, list[str]] = {}
    while len(pool) < n_docs:
        sentences = _sentences(rng, doc_tokens, _NAMES)
        pool.setdefault(" ".join(sentences), sentences)
    return list(pool.values())


def _event(rng: random.Random, i: int, chunks: list[list[str]]) -> dict[str, Any]:
    reused = rng.sample([s for chunk in chunks for s in chunk], 8)
    invented = _sentences(rng, 200 - count_tokens("gpt-4o", " ".join(reused)), _FAKE)
    question = _sentence(rng, _NAMES + _FAKE)
    return {"app": "bench", "llm_model": _MODELS[i % len(_MODELS)],
            "prompt": f"Answer from the documents (request {i}): {question}",
            "context": [" ".join(chunk) for chunk in chunks],
            "response": " ".join(reused + invented)}  # fmt: skip


def make_events(
    n: int,
    seed: int = 7,
    pool: list[list[str]] | None = None,
    docs_per_event: int = 5,
    zipf_s: float = 1.0,
    unique_contexts: bool = False,
) -> list[dict[str, Any]]:
    """``n`` LLM events (no usage); contexts drawn from ``pool`` (default :func:`make_pool`)
    by Zipf popularity, or, with ``unique_contexts``, made of chunks no other event has."""
    rng = random.Random(seed)
    k = docs_per_event
    if unique_contexts:
        pool = make_pool(n * k, seed + 1000)
        picks = [list(range(i * k, (i + 1) * k)) for i in range(n)]
    else:
        pool = pool if pool is not None else make_pool()
        ranks = range(len(pool))
        cum = list(itertools.accumulate((r + 1) ** -zipf_s for r in ranks))
        picks = []
        for _ in range(n):
            got: dict[int, None] = {}
            while len(got) < k:
                got[rng.choices(ranks, cum_weights=cum)[0]] = None
            picks.append(list(got))
    events = [_event(rng, i, [pool[j] for j in pick]) for i, pick in enumerate(picks)]
    assert len({e["response"] for e in events}) == n and len({e["prompt"] for e in events}) == n
    return json.loads(json.dumps(events))  # fresh strings per event, as if decoded from Kafka


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Step = Callable[[dict[str, Any]], Any]


def _new_scorer() -> GroundednessScorer:
    """The worker's scorer, built as the worker builds it (default settings)."""
    from streams.monitor._config import MonitorConfig

    return MonitorConfig().groundedness_scorer()


def _scoring_loop(book: PriceBook) -> tuple[GroundednessScorer, Step]:
    """The per-event work: tokens, price, groundedness (a new scorer: an empty cache)."""
    scorer = _new_scorer()

    def step(e: dict[str, Any]) -> None:
        inp, out, _ = tokens_for_event(e)
        book.price(e["llm_model"], inp, out)
        scorer.score(e["response"], e["context"], e["prompt"])

    return scorer, step


def _enricher() -> tuple[GroundednessScorer, Step]:
    """The worker's own ``Enricher`` (a new one: an empty cache)."""
    from streams.monitor._app import Enricher
    from streams.monitor._config import MonitorConfig

    enrich = Enricher(MonitorConfig())
    return enrich.scorer, enrich


def _timed(events: list[dict[str, Any]], warm: list[dict[str, Any]],
           make: Callable[[], tuple[GroundednessScorer, Step]],
           repeat: int) -> tuple[float, float]:  # fmt: skip
    """Best of ``repeat`` passes, each: empty the caches, run ``warm`` untimed, time
    ``events``. Returns (seconds per event, cache hit rate of the timed part)."""
    best, hit_rate = float("inf"), 0.0
    for _ in range(repeat):
        _tokens._doc_counts.clear()
        scorer, step = make()
        for e in warm:
            step(e)
        before = scorer.cache_info()
        start = time.perf_counter()
        for e in events:
            step(e)
        best = min(best, (time.perf_counter() - start) / len(events))
        after = scorer.cache_info()
        hits, misses = after.hits - before.hits, after.misses - before.misses
        hit_rate = hits / max(1, hits + misses)
    return best, hit_rate


def _latencies(events: list[dict[str, Any]], warm: list[dict[str, Any]],
               repeat: int) -> list[float]:  # fmt: skip
    """Per-event groundedness latency; each pass: a new scorer, ``warm`` run untimed first."""
    lat: list[float] = []
    for _ in range(repeat):
        scorer = _new_scorer()
        for e in warm:
            scorer.score(e["response"], e["context"], e["prompt"])
        for e in events:
            start = time.process_time()
            scorer.score(e["response"], e["context"], e["prompt"])
            lat.append(time.process_time() - start)
    return lat


def run(n_events: int = 600, seed: int = 7, repeat: int = 3, pool_docs: int = 2000,
        docs_per_event: int = 5, zipf_s: float = 1.0,
        warmup_events: int = 2000) -> dict[str, float]:  # fmt: skip
    """Measure groundedness latency, tiktoken throughput and full per-event throughput,
    for pool-drawn contexts and for all-unique contexts (see the module docstring)."""
    pool = make_pool(pool_docs, seed + 4)
    warm = make_events(warmup_events, seed + 3, pool, docs_per_event, zipf_s)
    events = make_events(n_events, seed, pool, docs_per_event, zipf_s)
    unique = make_events(n_events, seed + 1, docs_per_event=docs_per_event, unique_contexts=True)
    book = PriceBook()
    _timed(unique[:20], [], lambda: _scoring_loop(book), 1)  # tiktoken load, price look-ups
    _timed(unique[:20], [], _enricher, 1)

    lat = _latencies(events, warm, repeat)
    lat_unique = _latencies(unique, [], repeat)
    texts = [(e["llm_model"], t) for e in events for t in (e["prompt"], *e["context"],
                                                           e["response"])]  # fmt: skip
    start = time.perf_counter()
    n_tokens = sum(count_tokens(model, text) for model, text in texts)
    tokens_s = time.perf_counter() - start
    per_event, hit_rate = _timed(events, warm, lambda: _scoring_loop(book), repeat)
    cold, cold_hit_rate = _timed(events, [], lambda: _scoring_loop(book), repeat)
    per_unique, _ = _timed(unique, [], lambda: _scoring_loop(book), repeat)
    enricher, _ = _timed(events, warm, _enricher, repeat)
    enricher_unique, _ = _timed(unique, [], _enricher, repeat)

    return {
        "groundedness_median_ms": round(statistics.median(lat) * 1e3, 4),
        "groundedness_p99_ms": round(_pct(lat, 0.99) * 1e3, 4),
        "tokens_per_s": round(n_tokens / tokens_s),
        "events_per_s": round(1 / per_event, 1),
        "cache_hit_rate": round(hit_rate, 4),
        "events_per_s_cold_start": round(1 / cold, 1),
        "cache_hit_rate_cold_start": round(cold_hit_rate, 4),
        "events_per_s_unique_contexts": round(1 / per_unique, 1),
        "enricher_us_per_event": round(enricher * 1e6, 1),
        "enricher_us_per_event_unique_contexts": round(enricher_unique * 1e6, 1),
        "groundedness_median_ms_unique_contexts": round(statistics.median(lat_unique) * 1e3, 4),
        "groundedness_p99_ms_unique_contexts": round(_pct(lat_unique, 0.99) * 1e3, 4),
        "context_pool_docs": pool_docs,
        "docs_per_event": docs_per_event,
        "zipf_s": zipf_s,
        "warmup_events": warmup_events,
        "n_events": n_events,
        "latency_samples": len(lat),
        "context_tokens_median": statistics.median(
            sum(count_tokens("gpt-4o", d) for d in e["context"]) for e in events
        ),
        "response_tokens_median": statistics.median(
            count_tokens("gpt-4o", e["response"]) for e in events
        ),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
