"""Benchmark: per-event LLM scoring cost (tokens via tiktoken, price, lexical groundedness).

Events are generated deterministically: ~1,000-token contexts (5 documents) and ~200-token
responses that mostly reuse context sentences, with some invented numbers and names. Usage is
left out of every event, so token counts always go through tiktoken. Single process, one
thread. ``python -m benchmarks.llm_scoring`` prints the JSON of :func:`run`.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from typing import Any

from detectors.llm import PriceBook, count_tokens, score_groundedness, tokens_for_event

__all__ = ["make_events", "run"]

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


def _text_of(rng: random.Random, tokens: int, names: list[str]) -> list[str]:
    sentences: list[str] = []
    while count_tokens("gpt-4o", " ".join(sentences)) < tokens:
        sentences.append(_sentence(rng, names))
    return sentences


def make_events(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` LLM events with ~1,000-token contexts and ~200-token responses, no usage."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        context = _text_of(rng, 1000, _NAMES)
        docs = [" ".join(context[j::5]) for j in range(5)]
        reused = rng.sample(context, min(len(context), 8))
        response = reused + _text_of(rng, 200 - count_tokens("gpt-4o", " ".join(reused)), _FAKE)
        events.append({"app": "bench", "llm_model": _MODELS[i % len(_MODELS)],
                       "prompt": "Answer from the documents: " + context[0], "context": docs,
                       "response": " ".join(response)})  # fmt: skip
    return events


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(n_events: int = 600, seed: int = 7, repeat: int = 3) -> dict[str, float]:
    """Measure groundedness latency, tiktoken throughput and full per-event throughput.

    Groundedness latency is taken over ``repeat`` passes of all events (``n_events * repeat``
    samples); throughputs over one pass each.
    """
    events = make_events(n_events, seed)
    book = PriceBook()
    for event in events[:20]:  # warm-up: tiktoken load, genai-prices lookups, stem memo
        tokens_for_event(event)
        book.price(event["llm_model"], 1, 1)
        score_groundedness(event["response"], event["context"], event["prompt"])

    lat = []
    for _ in range(repeat):
        for event in events:
            start = time.perf_counter()
            score_groundedness(event["response"], event["context"], event["prompt"])
            lat.append(time.perf_counter() - start)

    texts = [
        (e["llm_model"], t) for e in events for t in (e["prompt"], *e["context"], e["response"])
    ]
    start = time.perf_counter()
    n_tokens = sum(count_tokens(model, text) for model, text in texts)
    tokens_s = time.perf_counter() - start

    start = time.perf_counter()
    for event in events:
        inp, out, _ = tokens_for_event(event)
        book.price(event["llm_model"], inp, out)
        score_groundedness(event["response"], event["context"], event["prompt"])
    events_s = time.perf_counter() - start

    return {
        "groundedness_median_ms": round(statistics.median(lat) * 1e3, 4),
        "groundedness_p99_ms": round(_pct(lat, 0.99) * 1e3, 4),
        "tokens_per_s": round(n_tokens / tokens_s),
        "events_per_s": round(n_events / events_s, 1),
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
