"""Helpers of the detection-quality scenarios: seeded event streams and the figures they give.

ML streams come from River's synthetic generators (``river.datasets.synth``): every sample
becomes a ``prediction`` event of a frozen model at event time ``t0 + i / rate`` and a ``label``
event (``y``, optionally flipped with ``label_noise``) ``label_delay_s`` later; the two are merged
in event-time order. LLM streams come from :func:`llm_events`, a support bot whose prompt
version ``v2`` may answer with unsupported numbers and names (``v2_bad_share``) or longer
answers (``v2_output_scale``). Every event is checked with ``tripwire_sdk.events.validate``
before it reaches ``streams.monitor.Monitor`` — the object the worker and ``tripwire replay``
drive.
"""

from __future__ import annotations

import heapq
import itertools
import random
import statistics
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from tripwire_sdk.events import validate

from streams.monitor import Monitor, MonitorConfig

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
RATE = 10.0  # predictions (or LLM requests) per second of event time
LABEL_DELAY_S = 60.0

Sample = tuple[dict[str, Any], Any]
Predict = Callable[[dict[str, Any]], Any]


# -- ML ------------------------------------------------------------------------------------------
def take(dataset: Iterable[Sample], n: int) -> list[Sample]:
    """The first ``n`` (x, y) samples of a River dataset."""
    return list(itertools.islice(dataset, n))


def frozen_tree(train: Iterable[Sample], n: int) -> Predict:
    """A ``river.tree.HoeffdingTreeClassifier`` fitted on ``n`` samples, then frozen."""
    from river import tree

    model = tree.HoeffdingTreeClassifier(grace_period=100)
    for x, y in itertools.islice(train, n):
        model.learn_one(x, y)
    return model.predict_one


def shifted(samples: list[Sample], shift: dict[str, Callable[[Any], Any]]) -> list[Sample]:
    """Covariate change: ``shift[name](value)`` applied to the features (labels unchanged)."""
    return [({k: (shift[k](v) if k in shift else v) for k, v in x.items()}, y)
            for x, y in samples]


def model_events(samples: list[Sample], predict: Predict, *, model: str = "agrawal",
                 seed: int = 0, label_noise: float = 0.0, rate: float = RATE,
                 label_delay_s: float = LABEL_DELAY_S, t0: float = T0) -> list[dict[str, Any]]:
    """Validated prediction + label events of ``samples``, merged by event time."""
    rng = random.Random(seed)

    def predictions() -> Iterator[dict[str, Any]]:
        for i, (x, _) in enumerate(samples):
            yield {"type": "prediction", "schema": 1, "event_id": f"{model}-p{i}",
                   "ts": t0 + i / rate, "model": model, "model_version": "v1",
                   "prediction_id": f"{model}-{i}", "features": _names(x),
                   "prediction": int(predict(x))}

    def labels() -> Iterator[dict[str, Any]]:
        for i, (_, y) in enumerate(samples):
            label = int(y) if rng.random() >= label_noise else 1 - int(y)
            yield {"type": "label", "schema": 1, "event_id": f"{model}-l{i}",
                   "ts": t0 + i / rate + label_delay_s, "model": model,
                   "prediction_id": f"{model}-{i}", "label": label}

    merged = heapq.merge(predictions(), labels(), key=lambda e: e["ts"])
    return [validate(e) for e in merged]


def _names(x: dict[Any, Any]) -> dict[str, Any]:
    """Feature names as strings (SEA's features are numbered 0, 1, 2 -> x0, x1, x2)."""
    return {k if isinstance(k, str) else f"x{k}": v for k, v in x.items()}


def run(events: list[dict[str, Any]], config: MonitorConfig | None = None) -> list[dict]:
    """Every record the monitor emits for ``events`` (one batch per 2,000 events, like replay).

    The monitor caches enrichment on LLM events (``_enrich``), so it gets shallow copies."""
    monitor = Monitor(config)
    out: list[dict] = []
    for start in range(0, len(events), 2000):
        out += monitor.observe([dict(e) for e in events[start:start + 2000]])
    return out


def triggers(records: list[dict], type_: str | None = None) -> list[dict]:
    return [r for r in records if r.get("kind") == "trigger"
            and (type_ is None or r["type"] == type_)]


def alerts(records: list[dict], state: str | None = "firing") -> list[dict]:
    return [r for r in records if r.get("kind") == "alert"
            and (state is None or r["state"] == state)]


def index_at(ts: float, *, rate: float = RATE, t0: float = T0) -> float:
    """Number of predictions (or requests) made before event time ``ts``."""
    return (ts - t0) * rate


def spread(values: list[float]) -> str:
    """``min/median/max`` of measured figures."""
    if not values:
        return "-"
    return "/".join(f"{v:g}" for v in (min(values), statistics.median(values), max(values)))


# -- LLM -----------------------------------------------------------------------------------------
_DOCS = [
    "Refunds are available within {d} days of purchase. Contact support at the help center.",
    "The premium plan costs {p} euros per month and includes priority support.",
    "Orders ship from the Porto warehouse within {s} business days.",
    "Password resets are done from the account settings page under security.",
]
_V1 = [
    "You can get a refund within {d} days of purchase by contacting support.",
    "The premium plan costs {p} euros per month with priority support included.",
    "Orders ship from the Porto warehouse within {s} business days.",
    "You can reset your password from the account settings page under security.",
]
# Same facts, other wording (v2's prompt asks for a friendlier tone).
_V2 = [
    "Sure! Refunds are available for {d} days after purchase; just contact our support team.",
    "Good question: premium costs {p} euros each month, and priority support is included.",
    "Your order ships within {s} business days from our Porto warehouse.",
    "Open your account settings, go to security, and reset the password there.",
]
# Unsupported numbers and names (not in the context).
_BAD = [
    "Refunds take {x} days and are handled by Klarna Finance in Stockholm.",
    "Premium costs {y} euros, and Maria Gonzalez from Billing can give a {z}% discount.",
    "Orders ship from the Berlin hub operated by DHL Express within {x} hours.",
    "Call Tom Becker at extension {y} to reset it.",
]
_TOPICS = ["refund", "price", "shipping", "password"]


def llm_events(n: int, *, seed: int, v2_at: int | None = None, v2_bad_share: float = 0.0,
               v2_grounded_wording: bool = True, base_bad_share: float = 0.02,
               v2_output_scale: float = 1.0, input_tokens: tuple[int, int] = (250, 350),
               output_tokens: tuple[int, int] = (80, 140), app: str = "support-bot",
               llm_model: str = "gpt-4o-mini", rate: float = RATE,
               t0: float = T0) -> list[dict[str, Any]]:
    """Validated LLM events; requests ``i >= v2_at`` use prompt version v2.

    Both versions answer with an unsupported number/name ``base_bad_share`` of the time; v2
    additionally ``v2_bad_share`` of the time. v2 uses its own (grounded) wording when
    ``v2_grounded_wording``; its output tokens are scaled by ``v2_output_scale``. 30 % of the
    requests carry feedback: negative 10 % of the time for a grounded answer, 45 % for a bad one.
    """
    rng = random.Random(seed)
    out = []
    for i in range(n):
        v2 = v2_at is not None and i >= v2_at
        k = rng.randrange(4)
        nums = {"d": rng.choice([14, 30]), "p": rng.choice([19, 29]), "s": rng.choice([2, 3])}
        context = [_DOCS[k].format(**nums), _DOCS[(k + 1) % 4].format(**nums)]
        bad = rng.random() < base_bad_share or (v2 and rng.random() < v2_bad_share)
        if bad:
            response = _BAD[k].format(x=rng.randint(40, 99), y=rng.randint(100, 999),
                                      z=rng.randint(11, 28))
        else:
            response = (_V2 if v2 and v2_grounded_wording else _V1)[k].format(**nums)
        out_tokens = rng.randint(*output_tokens)
        if v2:
            out_tokens = round(out_tokens * v2_output_scale)
        event: dict[str, Any] = {
            "type": "llm", "schema": 1, "event_id": f"{app}-{i}", "ts": t0 + i / rate,
            "app": app, "prompt_version": "v2" if v2 else "v1", "llm_model": llm_model,
            "prompt": f"Customer question #{i}: {_TOPICS[k]}?", "response": response,
            "context": context, "latency_ms": round(rng.lognormvariate(6.3, 0.3), 1),
            "user": f"tenant-{rng.randrange(5)}",
            "usage": {"input_tokens": rng.randint(*input_tokens), "output_tokens": out_tokens}}
        if rng.random() < 0.3:
            event["feedback"] = -1 if rng.random() < (0.45 if bad else 0.1) else 1
        out.append(validate(event))
    return out


def v2_events_before(events: list[dict[str, Any]], trigger: dict) -> int:
    """How many v2 requests the monitor had seen when ``trigger`` fired (same ts included)."""
    return sum(1 for e in events if e["prompt_version"] == "v2" and e["ts"] <= trigger["ts"])


# -- LLM, real answers: HaluEval's development split --------------------------------------------
def halueval_events(n: int, *, v2_at: int, v1_items: range, v2_items: range, v2_label: int,
                    seed: int = 1, app: str = "halueval-bot",
                    rate: float = RATE) -> list[dict[str, Any]]:  # fmt: skip
    """Validated LLM events whose answers are HaluEval's (development split only).

    Request ``i`` takes task ``qa``/``dialogue``/``summarization`` in turn and a development
    item from ``v1_items`` (before ``v2_at``: prompt version v1, its grounded response) or
    ``v2_items`` (v2: its grounded response when ``v2_label`` is 0, its hallucinated one when
    1), cycling; contexts, prompts and responses map as in ``benchmarks.halueval_quality``.
    Usage tokens are drawn alike for both versions, so only groundedness can tell them apart.
    """
    from benchmarks.halueval_quality import FIELDS

    tasks = ("qa", "dialogue", "summarization")
    stop = max(v1_items.stop, v2_items.stop)
    rows = {task: list(_halueval_rows(task, stop)) for task in tasks}
    rng = random.Random(seed)
    out = []
    for i in range(n):
        v2 = i >= v2_at
        task = tasks[i % 3]
        items = v2_items if v2 else v1_items
        k = (i - v2_at if v2 else i) // 3
        row = rows[task][items[k % len(items)]]
        context_key, prompt_key, right, wrong = FIELDS[task]
        event: dict[str, Any] = {
            "type": "llm", "schema": 1, "event_id": f"{app}-{i}", "ts": T0 + i / rate,
            "app": app, "prompt_version": "v2" if v2 else "v1", "llm_model": "gpt-4o-mini",
            "response": row[wrong if v2 and v2_label else right],
            "context": [row[context_key]], "prompt": row[prompt_key] if prompt_key else "",
            "usage": {"input_tokens": rng.randint(250, 350), "output_tokens": rng.randint(80, 140)}}
        out.append(validate(event))
    return out


def _halueval_rows(task: str, stop: int) -> Iterator[dict[str, Any]]:
    from benchmarks.datasets import halueval

    yield from halueval(task, limit=stop)
