"""Contract suites: every streaming detector and every store table keep the same promises.

Detectors: quiet on a constant stream; state survives pickling mid-stream (the copy produces
exactly what the original produces from then on); bad parameters are rejected with ValueError.
Store: replaying the same batch into any table never double-counts.
"""

from __future__ import annotations

import pickle
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from detectors.accuracy import DecayDetector, LabelJoin
from detectors.budget import Budget, BudgetTracker
from detectors.drift import WindowChange
from detectors.rollback import PromptVersionComparator
from detectors.rules import Rule, RuleEngine, TriggerPolicy, default_rules
from sinks.clickhouse import ClickHouseStore, tables
from streams.monitor import Monitor


@dataclass
class Contract:
    name: str
    make: Callable[[], Any]
    feed: Callable[[Any, int, float], list]  # (detector, step, value) -> outputs
    bad: list[Callable[[], Any]]


def _signal(i: int, v: float) -> dict:
    return {"entity_type": "model", "entity": "m", "metric": "x", "dimension": "", "value": v,
            "threshold": None, "n": 100, "window_start": 60.0 * i, "window_end": 60.0 * (i + 1),
            "ts": 60.0 * (i + 1)}


def _decay_feed(d: DecayDetector, i: int, v: float) -> list:
    d.update({"label": 1, "prediction": int(v < 0.9)})
    return [d.check()["decay"]] if i % 50 == 49 and d.check()["decay"] else []


def _rollback_feed(d: PromptVersionComparator, i: int, v: float) -> list:
    version = "v1" if i < 300 else "v2"
    verdict = d.observe("app", version, float(i), hallucinated=v > 0.9,
                        negative_feedback=None, cost_usd=0.001)
    return [verdict] if verdict else []


def _monitor_feed(m: Monitor, i: int, v: float) -> list:
    event = {"type": "prediction", "schema": 1, "event_id": f"e{i}", "ts": float(i),
             "model": "m", "model_version": "v1", "prediction_id": f"e{i}",
             "features": {"a": round(v, 6), "b": "x" if v < 0.5 else "y"},
             "prediction": int(v > 0.5), "score": None}
    label = {"type": "label", "schema": 1, "event_id": f"l{i}", "ts": float(i) + 0.5,
             "model": "m", "prediction_id": f"e{i}", "label": int(v > 0.5)}
    return [r for r in m.observe([event, label]) if r.get("kind") in ("alert", "trigger")]


CONTRACTS = [
    Contract("RuleEngine", lambda: RuleEngine([Rule("x", 0.7, for_windows=2), *default_rules()]),
             lambda d, i, v: d.observe(_signal(i, v)),
             [lambda: Rule("x", 1.0, direction="sideways"), lambda: Rule("x", 1.0, for_windows=0),
              lambda: Rule("x", 1.0, cooldown_s=-1), lambda: Rule("x", 1.0, severity="meh")]),
    Contract("DecayDetector", lambda: DecayDetector(min_labels=50, reference_size=100),
             _decay_feed,
             [lambda: DecayDetector(metric="r2"), lambda: DecayDetector(alpha=1.5),
              lambda: DecayDetector(min_labels=1)]),
    Contract("PromptVersionComparator", lambda: PromptVersionComparator(min_samples=50),
             _rollback_feed,
             [lambda: PromptVersionComparator(min_samples=1),
              lambda: PromptVersionComparator(cost_ratio=0.5),
              lambda: PromptVersionComparator(window_s=0)]),
    Contract("BudgetTracker", lambda: BudgetTracker([Budget("app", 5.0)]),
             lambda d, i, v: d.observe("app", None, 0.0 if v < 2 else 0.05, 3600.0 * i),
             [lambda: Budget("app", 0.0), lambda: Budget("app", 1.0, period="week"),
              lambda: Budget("app", 1.0, thresholds=())]),
    Contract("WindowChange", WindowChange,
             lambda d, i, v: list(d.update({"f": v}).drifted),
             [lambda: WindowChange(detector=object())]),
    Contract("LabelJoin", lambda: LabelJoin(ttl_s=100.0),
             lambda d, i, v: [p for p in (d.add_prediction({"prediction_id": str(i), "ts": i,
                                                           "prediction": 1}),
                                          d.add_label({"prediction_id": str(i - 3), "ts": i,
                                                       "label": 1})) if p and v > 2],
             [lambda: LabelJoin(ttl_s=0), lambda: LabelJoin(max_pending=0)]),
    Contract("TriggerPolicy", lambda: TriggerPolicy("retrain", cooldown_s=600),
             lambda d, i, v: [t for t in [d.decide("model", "m", 60.0 * i, [
                 {"entity": "m", "entity_type": "model", "metric": "accuracy.decay",
                  "alert_id": "a", "value": 1.0, "threshold": 1.0, "window_start": 0.0,
                  "state": "firing"}] if v > 2 else [])] if t],
             [lambda: TriggerPolicy("reboot"), lambda: TriggerPolicy("retrain", min_alerts=0)]),
    Contract("Monitor", lambda: Monitor(), _monitor_feed, []),
]


def _stream(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.random() if i < n // 2 else rng.random() + 2.5 * rng.random() for i in range(n)]


@pytest.mark.parametrize("c", CONTRACTS, ids=[c.name for c in CONTRACTS])
def test_quiet_on_a_constant_stream(c: Contract) -> None:
    detector = c.make()
    steps = 3000 if c.name == "Monitor" else 1000
    outputs = [out for i in range(steps) for out in c.feed(detector, i, 0.25)]
    assert outputs == []


@pytest.mark.parametrize("c", CONTRACTS, ids=[c.name for c in CONTRACTS])
def test_state_survives_pickling_mid_stream(c: Contract) -> None:
    values = _stream(4000 if c.name == "Monitor" else 800, seed=3)
    half = len(values) // 2
    original = c.make()
    for i, v in enumerate(values[:half]):
        c.feed(original, i, v)
    copy = pickle.loads(pickle.dumps(original))
    rest = list(enumerate(values))[half:]
    from_original = [repr(o) for i, v in rest for o in c.feed(original, i, v)]
    from_copy = [repr(o) for i, v in rest for o in c.feed(copy, i, v)]
    assert from_copy == from_original


@pytest.mark.parametrize("c", [c for c in CONTRACTS if c.bad], ids=lambda c: c.name)
def test_bad_parameters_are_rejected(c: Contract) -> None:
    for make_bad in c.bad:
        with pytest.raises((ValueError, TypeError)):
            make_bad()


_SAMPLE: dict[str, Any] = {
    "event_id": "e1", "ts": 1.0, "model": "m", "model_version": "v", "prediction_id": "p",
    "prediction": "1", "score": 0.5, "features": "{}", "service": "", "label": "1", "app": "a",
    "prompt_version": "v1", "llm_model": "gpt-4o-mini", "user": "", "prompt": "q",
    "response": "r", "context": "[]", "input_tokens": 1, "output_tokens": 1,
    "token_source": "usage", "cost_usd": 0.0, "price_source": "genai-prices",
    "latency_ms": 1.0, "feedback": None, "groundedness": 1.0, "hallucinated": 0,
    "unsupported": "[]", "reasons": "[]", "id": "t:0:1:0", "source_topic": "t", "partition": 0,
    "offset": 1,
    "reason": "bad", "original": "{", "entity_type": "model", "entity": "m", "metric": "x",
    "dimension": "", "value": 1.0, "threshold": None, "n": 1, "window_start": 0.0,
    "window_end": 1.0, "alert_id": "a", "state": "firing", "severity": "warning",
    "evidence": {}, "trigger_id": "t", "type": "retrain", "from_version": "",
    "to_version": "", "destination": "d", "webhook_id": "w", "kind": "alert", "attempt": 1,
    "status": 200, "ok": 1, "error": "", "source": "file", "created_ts": 1.0,
    "profile": "", "worker_id": "w", "grounded": 1, "model_name": "m",
    "pii": [], "secrets": [], "refusal": 0, "injection": 0, "run_id": "r1", "passed": 1,
    "n_cases": 2, "n_passed": 2, "pass_rate": 1.0, "min_pass_rate": 1.0,
    "latency_ms_p50": 1.0, "latency_ms_p95": 2.0, "groundedness_mean": 0.9,
    "failed_checks": "{}", "cases": "[]",
}


@pytest.mark.parametrize("table", [t.name for t in tables.ALL])
def test_replaying_a_batch_into_any_table_does_not_double_count(chdb_path: str,
                                                                table: str) -> None:
    store = ClickHouseStore(chdb_path, database="contracts")
    store.migrate()
    row = {c: _SAMPLE.get(c) for c in tables.BY_NAME[table].columns}
    if table == "triggers":
        row["reason"] = ["x"]
    if table == "llm_judgements":
        row["model"], row["reason"] = "judge", "supported"
    second = {k: v + "-2" if isinstance(v, str) else v for k, v in row.items()}  # other keys
    batch = [row, second]
    store.insert(tables.BY_NAME[table], batch)
    store.insert(tables.BY_NAME[table], batch)  # at-least-once delivery replays it
    assert store.count(tables.BY_NAME[table]) == 2
