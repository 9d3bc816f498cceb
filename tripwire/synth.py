"""Deterministic synthetic traffic: a classification model and an LLM app (schema v1 dicts).

Used by the demo, the benchmarks and the tests. Everything is seeded; event time starts at
``t0`` and advances by ``1 / rate`` per prediction, so streams replay identically.

* :func:`model_stream` — a churn model with numeric and categorical features. From
  ``change_at`` on, inputs drift (age shifts up, a new plan appears) and the model's accuracy
  falls (the true labels follow a different rule). Labels arrive ``label_delay_s`` later.
* :func:`llm_stream` — a support bot. Prompt version ``v2`` starts at ``v2_at``; with
  ``v2_bad`` it answers with numbers and names that are not in the context, and with longer,
  costlier answers.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from typing import Any

__all__ = ["model_stream", "llm_stream", "merge", "T0"]

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z

_PLANS = ["free", "basic", "pro"]
_CITIES = ["Lisbon", "Porto", "Faro", "Braga"]


def model_stream(n: int, *, model: str = "churn", change_at: int | None = None,
                 seed: int = 7, rate: float = 50.0, label_delay_s: float = 30.0,
                 label_share: float = 1.0, t0: float = T0,
                 version: str = "v1") -> Iterator[dict[str, Any]]:
    """Predictions (and their labels, later in event time) of a churn classifier."""
    rng = random.Random(seed)
    pending: list[tuple[float, int, dict[str, Any]]] = []
    for i in range(n):
        ts = t0 + i / rate
        while pending and pending[0][0] <= ts:
            yield heapq.heappop(pending)[2]
        drifted = change_at is not None and i >= change_at
        event, label = _prediction(rng, i, ts, model, version, drifted)
        yield event
        if rng.random() < label_share:
            heapq.heappush(pending, (ts + label_delay_s, i, {
                "type": "label", "schema": 1, "event_id": f"{model}-label-{i}",
                "ts": ts + label_delay_s, "model": model,
                "prediction_id": event["prediction_id"], "label": label}))
    while pending:
        yield heapq.heappop(pending)[2]


def _prediction(rng: random.Random, i: int, ts: float, model: str, version: str,
                drifted: bool) -> tuple[dict[str, Any], int]:
    age = rng.gauss(52 if drifted else 38, 9)
    tenure = max(0.0, rng.expovariate(1 / (6 if drifted else 24)))
    spend = max(0.0, rng.gauss(80, 25))
    plan = rng.choice(_PLANS + ["enterprise"] if drifted else _PLANS)
    city = rng.choice(_CITIES)
    logit = 0.08 * (30 - tenure) + (0.8 if plan == "free" else -0.4)
    score = 1 / (1 + pow(2.718281828, -logit / 3))
    prediction = int(score >= 0.5)
    # Before the change the model is right ~90% of the time; after it the world changed.
    truth_flip = 0.1 if not drifted else 0.35
    label = prediction if rng.random() >= truth_flip else 1 - prediction
    event = {"type": "prediction", "schema": 1, "event_id": f"{model}-{i}", "ts": ts,
             "model": model, "model_version": version, "prediction_id": f"{model}-{i}",
             "features": {"age": round(age, 2), "tenure_months": round(tenure, 2),
                          "monthly_spend": round(spend, 2), "plan": plan, "city": city},
             "prediction": prediction, "score": round(score, 4)}
    return event, label


_DOCS = [
    "Refunds are available within {d} days of purchase. Contact support at the help center.",
    "The premium plan costs {p} euros per month and includes priority support.",
    "Orders ship from the Porto warehouse within {s} business days.",
    "Password resets are done from the account settings page under security.",
]
_GOOD = [
    "You can get a refund within {d} days of purchase by contacting support.",
    "The premium plan costs {p} euros per month with priority support included.",
    "Orders ship from the Porto warehouse within {s} business days.",
    "You can reset your password from the account settings page under security.",
]
_BAD = [
    "Refunds are processed in {x} days by our partner Klarna Finance in Stockholm.",
    "Premium costs {y} euros, and Maria Gonzalez from Billing can approve a {z}% discount.",
    "Orders ship from the Berlin hub operated by DHL Express within {x} hours.",
    "Call Tom Becker at extension {y} to reset it, available since March {z}.",
]


def llm_stream(n: int, *, app: str = "support-bot", v2_at: int | None = None,
               v2_bad: bool = True, seed: int = 11, rate: float = 10.0, t0: float = T0,
               llm_model: str = "gpt-4o-mini", cost_scale: float = 1.0,
               with_usage: bool = True) -> Iterator[dict[str, Any]]:
    """LLM interactions; prompt version v2 from ``v2_at`` (worse when ``v2_bad``)."""
    rng = random.Random(seed)
    for i in range(n):
        ts = t0 + i / rate
        v2 = v2_at is not None and i >= v2_at
        k = rng.randrange(len(_DOCS))
        nums = {"d": rng.choice([14, 30]), "p": rng.choice([19, 29]), "s": rng.choice([2, 3])}
        context = [_DOCS[k].format(**nums), _DOCS[(k + 1) % 4].format(**nums)]
        bad = v2 and v2_bad and rng.random() < 0.6
        if bad:
            response = _BAD[k].format(x=rng.randint(40, 99), y=rng.randint(100, 999),
                                      z=rng.randint(11, 28))
        else:
            response = _GOOD[k].format(**nums)
        out_tokens = int((rng.randint(40, 80) if not v2 else rng.randint(120, 200)) * cost_scale)
        event: dict[str, Any] = {
            "type": "llm", "schema": 1, "event_id": f"{app}-{i}", "ts": ts, "app": app,
            "prompt_version": "v2" if v2 else "v1", "llm_model": llm_model,
            "prompt": f"Customer question #{i}: {['refund', 'price', 'shipping', 'password'][k]}?",
            "response": response, "context": context,
            "latency_ms": round(rng.lognormvariate(6.3 if not v2 else 6.6, 0.3), 1),
            "user": f"tenant-{rng.randrange(5)}"}
        if with_usage:
            event["usage"] = {"input_tokens": int(rng.randint(900, 1100) * cost_scale),
                              "output_tokens": out_tokens}
        if rng.random() < 0.3:
            event["feedback"] = -1 if rng.random() < (0.45 if bad else 0.1) else 1
        yield event


def merge(*streams: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Merge event streams by event time (stable for equal timestamps)."""
    return heapq.merge(*streams, key=lambda e: e["ts"])
