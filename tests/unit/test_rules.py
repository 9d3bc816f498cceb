"""Alert rules (for / hysteresis / cooldown / flapping, T16) and the trigger policy."""

from __future__ import annotations

import doctest
import hashlib
import pickle

import numpy as np
import pytest

from detectors import rules
from detectors.rules import Rule, RuleEngine, TriggerPolicy, alert_id, default_rules

WINDOW = 60.0


def sig(i: int, value: float, *, metric: str = "drift.psi", dimension: str = "age",
        entity: str = "churn", threshold: float | None = 0.2) -> dict:
    record = {"entity_type": "model", "entity": entity, "metric": metric,
              "dimension": dimension, "value": value, "n": 1000,
              "window_start": WINDOW * i, "window_end": WINDOW * (i + 1), "ts": WINDOW * (i + 1)}
    if threshold is not None:
        record["threshold"] = threshold
    return record


def run(engine: RuleEngine, values, **kw) -> list[tuple[int, dict]]:
    return [(i, a) for i, v in enumerate(values) for a in engine.observe(sig(i, v, **kw))]


def test_doctest():
    assert doctest.testmod(rules).failed == 0


@pytest.mark.parametrize("k", [1, 2, 5])
def test_sustained_step_fires_exactly_after_for_windows(k):
    engine = RuleEngine([Rule("drift.psi", 0.2, for_windows=k)])
    out = run(engine, [0.1] * 10 + [0.21] * 20)
    assert [(i, a["state"]) for i, a in out] == [(10 + k - 1, "firing")]
    alert = out[0][1]
    assert alert["evidence"]["values"] == [0.21] * k
    assert alert["window_start"] == WINDOW * 10 and alert["window_end"] == WINDOW * (10 + k)
    assert alert["alert_id"] == hashlib.sha1(b"churn|drift.psi|age").hexdigest()
    assert set(alert) == {"kind", "alert_id", "entity_type", "entity", "metric", "dimension",
                          "state", "severity", "ts", "value", "threshold", "window_start",
                          "window_end", "evidence"}


def test_resolves_after_resolve_windows_good_windows():
    engine = RuleEngine([Rule("drift.psi", 0.2, for_windows=2, resolve_windows=3)])
    out = run(engine, [0.3] * 5 + [0.1] * 5)
    assert [(i, a["state"]) for i, a in out] == [(1, "firing"), (7, "resolved")]
    assert out[1][1]["evidence"]["values"] == [0.1] * 3
    assert engine.firing() == []


def test_hysteresis_values_between_thresholds_do_not_resolve():
    engine = RuleEngine([Rule("drift.psi", 0.2, resolve_threshold=0.15, resolve_windows=2)])
    out = run(engine, [0.3, 0.3, 0.17, 0.17, 0.17, 0.17, 0.1, 0.1])
    assert [(i, a["state"]) for i, a in out] == [(1, "firing"), (7, "resolved")]


def test_direction_below():
    engine = RuleEngine([Rule("accuracy", 0.85, direction="below", for_windows=2,
                              resolve_windows=1)])
    out = run(engine, [0.9, 0.84, 0.85, 0.9], metric="accuracy", dimension="")
    assert [(i, a["state"]) for i, a in out] == [(2, "firing"), (3, "resolved")]


def test_cooldown_suppresses_refiring_until_it_ends():
    engine = RuleEngine([Rule("drift.psi", 0.2, for_windows=1, resolve_windows=1,
                              cooldown_s=600)])
    # fire at 0, resolve at 1, bad again from 2 on: suppressed until ts >= 120 + 600
    out = run(engine, [0.3, 0.1] + [0.3] * 20)
    assert [(i, a["state"]) for i, a in out] == [(0, "firing"), (1, "resolved"), (11, "firing")]
    assert engine.counters["suppressed"] == 9


FLAP_RULES = [
    Rule("drift.psi", 0.2),
    Rule("drift.psi", 0.2, for_windows=1, resolve_windows=1),
    Rule("drift.psi", 0.2, for_windows=1, resolve_windows=3),
    Rule("drift.psi", 0.2, resolve_threshold=0.15, for_windows=5, resolve_windows=10),
    Rule("drift.psi", 0.2, resolve_threshold=0.15, for_windows=1, resolve_windows=1),
]


@pytest.mark.parametrize("rule", FLAP_RULES)
def test_flapping_one_hour_at_most_one_firing_and_one_resolve(rule):
    values = [0.19, 0.21] * 30  # 60 windows of 1 minute
    out = run(RuleEngine([rule]), values)
    states = [a["state"] for _, a in out]
    assert states.count("firing") <= 1 and states.count("resolved") <= 1


@pytest.mark.parametrize("rule", FLAP_RULES)
def test_flapping_for_six_hours_at_most_one_of_each_per_cooldown(rule):
    out = run(RuleEngine([rule]), [0.21, 0.19] * 180)
    for state in ("firing", "resolved"):
        times = [a["ts"] for _, a in out if a["state"] == state]
        assert all(b - a > rule.cooldown_s for a, b in zip(times, times[1:], strict=False))


def test_flap_indicator_annotates_refiring_alert():
    rule = Rule("drift.psi", 0.2, for_windows=1, resolve_windows=1)
    out = run(RuleEngine([rule]), [0.21, 0.19] * 90)
    firings = [a for _, a in out if a["state"] == "firing"]
    assert len(firings) == 3  # t = 1 min, then once per cooldown hour
    assert not firings[0]["evidence"]["flapping"]
    assert firings[1]["evidence"]["flapping"] and firings[1]["evidence"]["flap_share"] == 1.0


def test_dimensions_are_independent():
    engine = RuleEngine([Rule("drift.*", 0.2)])
    out = []
    for i in range(6):
        out += engine.observe(sig(i, 0.3, dimension="age"))
        out += engine.observe(sig(i, 0.1 if i % 2 else 0.3, dimension="income"))
    assert [(a["dimension"], a["state"]) for a in out] == [("age", "firing")]
    assert [a["dimension"] for a in engine.firing("churn")] == ["age"]
    assert engine.firing("other") == []


def test_filters_and_first_match_wins():
    engine = RuleEngine([Rule("drift.*", 0.5, dimension="age", for_windows=1),
                         Rule("drift.*", 0.2, for_windows=1, entity="fraud*")])
    assert engine.observe(sig(0, 0.3, dimension="age", entity="fraud_v1")) == []
    assert len(engine.observe(sig(0, 0.3, dimension="zip", entity="fraud_v1"))) == 1
    assert engine.observe(sig(0, 0.9, dimension="zip", entity="churn")) == []


def test_threshold_none_uses_the_signal_threshold():
    engine = RuleEngine([Rule("drift.*", None, for_windows=1)])
    assert engine.observe(sig(0, 0.05, threshold=0.1)) == []
    (alert,) = engine.observe(sig(1, 0.15, threshold=0.1))
    assert alert["threshold"] == 0.1
    assert engine.observe(sig(0, 9.0, threshold=None, dimension="x")) == []  # no threshold: skip


def test_redelivered_signal_is_ignored():
    engine = RuleEngine([Rule("drift.psi", 0.2, for_windows=2)])
    assert engine.observe(sig(0, 0.3)) == []
    assert engine.observe(sig(0, 0.3)) == []  # same window again: not a second bad window
    assert len(engine.observe(sig(1, 0.3))) == 1
    assert engine.counters["stale"] == 1


def test_pickle_mid_stream_gives_identical_output():
    rng = np.random.default_rng(3)
    values = np.clip(0.2 + 0.05 * np.cumsum(rng.normal(0, 0.3, 400)), 0, 1)
    rule_set = [Rule("drift.*", 0.2, for_windows=2, resolve_windows=2, cooldown_s=600)]
    dims = ("age", "income")
    stream = [sig(i, float(v), dimension=d) for i, v in enumerate(values) for d in dims]
    whole = RuleEngine(rule_set)
    expected = [a for s in stream for a in whole.observe(s)]
    first = RuleEngine(rule_set)
    got = [a for s in stream[:301] for a in first.observe(s)]
    second = pickle.loads(pickle.dumps(first))
    got += [a for s in stream[301:] for a in second.observe(s)]
    assert got == expected and len(expected) >= 6
    assert second.firing() == whole.firing()


def test_default_rules():
    engine = RuleEngine(default_rules())
    out = run(engine, [0.3] * 2, metric="drift.wasserstein", threshold=0.1)
    assert [a["state"] for _, a in out] == ["firing"]
    (decay,) = engine.observe(sig(0, 1.0, metric="accuracy.decay", dimension="", threshold=None))
    assert decay["severity"] == "critical"
    assert run(engine, [0.4] * 3, metric="drift.share", threshold=0.1, dimension="") == []


@pytest.mark.parametrize("kw", [{"direction": "up"}, {"for_windows": 0},
                                {"severity": "page"}, {"cooldown_s": -1}])
def test_bad_rule_parameters_rejected(kw):
    with pytest.raises(ValueError):
        Rule("x", 1.0, **kw)


def firing_alert(metric="drift.psi", dimension="age", entity="churn", start=600.0):
    engine = RuleEngine([Rule(metric, 0.2, for_windows=1)])
    s = sig(int(start // WINDOW), 0.31, metric=metric, dimension=dimension, entity=entity)
    return engine.observe(s)[0]


def test_trigger_policy_retrain_and_cooldown():
    policy = TriggerPolicy("retrain", cooldown_s=3600)
    alerts = [firing_alert(), firing_alert(entity="other")]
    trig = policy.decide("model", "churn", 1000.0, alerts)
    assert trig["type"] == "retrain" and trig["reason"] == ["drift.psi:age=0.31>0.2"]
    assert trig["trigger_id"] == hashlib.sha1(b"retrain|churn|1000.0").hexdigest()
    assert trig["evidence"]["suggested_reference"] == {"window_start": 600.0,
                                                       "window_end": 1000.0}
    assert "from_version" not in trig
    assert policy.decide("model", "churn", 4599.0, alerts) is None
    assert policy.decide("model", "churn", 500.0, alerts) is None  # replayed / older
    assert policy.decide("model", "other", 1000.0, alerts) is not None  # per entity
    assert policy.decide("model", "churn", 4600.0, alerts)["ts"] == 4600.0


def test_trigger_policy_min_alerts_and_metric_filter():
    policy = TriggerPolicy("retrain", min_alerts=2, metrics=("drift.*", "accuracy*"))
    one = [firing_alert()]
    assert policy.decide("model", "churn", 1.0, one) is None
    two = one + [firing_alert(dimension="income"), firing_alert(metric="missing.share")]
    trig = policy.decide("model", "churn", 1.0, two)
    assert len(trig["reason"]) == 2
    assert trig["evidence"]["alert_ids"] == [alert_id("churn", "drift.psi", "age"),
                                             alert_id("churn", "drift.psi", "income")]


def test_trigger_policy_prompt_rollback_from_verdict():
    policy = TriggerPolicy("prompt_rollback")
    verdict = {"app": "bot", "from_version": "v2", "to_version": "v1", "ts": 50.0,
               "metrics": [{"metric": "hallucination.rate", "from_value": 0.31,
                            "to_value": 0.1, "n_from": 150, "n_to": 900, "p_value": 1e-5}]}
    assert policy.decide("app", "bot", 50.0, []) is None  # no verdict, no rollback target
    trig = policy.decide("app", "bot", 50.0, [], evidence=verdict)
    assert (trig["from_version"], trig["to_version"]) == ("v2", "v1")
    assert trig["reason"] == ["hallucination.rate:v2=0.31>v1=0.1"]
    assert policy.decide("app", "bot", 60.0, [], evidence=verdict) is None


def test_trigger_policy_pickles():
    policy = TriggerPolicy("retrain")
    policy.decide("model", "churn", 1.0, [firing_alert()])
    clone = pickle.loads(pickle.dumps(policy))
    assert clone.decide("model", "churn", 2.0, [firing_alert()]) is None
