"""Noise control (T15/T16 style): state changes, repeats, grouping, cooldown, flapping."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest

from sinks.webhooks import NoiseControl


def alert(state, ts, alert_id="a1", entity="churn"):
    return {
        "kind": "alert",
        "alert_id": alert_id,
        "entity_type": "model",
        "entity": entity,
        "metric": "drift.psi",
        "dimension": "age",
        "state": state,
        "severity": "warning",
        "ts": float(ts),
        "value": 0.21,
        "threshold": 0.2,
    }


def states(notes):
    return [(n.records[0]["state"], n.repeat_at is not None) for n in notes]


@pytest.fixture(autouse=True)
def no_clock(monkeypatch):
    """The noise layer is event-time only: reading the wall clock is a bug."""
    monkeypatch.setattr(time, "time", lambda: (_ for _ in ()).throw(AssertionError("clock")))


def test_one_notification_per_state_change():
    nc = NoiseControl()
    verdicts = [
        nc.offer(alert(s, t), token=t)
        for s, t in [
            ("firing", 0),
            ("firing", 60),
            ("firing", 120),
            ("resolved", 180),
            ("resolved", 240),
        ]
    ]
    assert verdicts == ["queued", "duplicate", "duplicate", "queued", "duplicate"]
    notes = nc.pop_due(240)
    assert states(notes) == [("firing", False), ("resolved", False)]
    assert [n.tokens for n in notes] == [(0,), (180,)]


def test_repeat_interval_while_firing():
    nc = NoiseControl(repeat_interval_s=3600)
    nc.offer(alert("firing", 0))
    assert len(nc.pop_due(0)) == 1
    assert nc.pop_due(3599) == []
    first = nc.pop_due(3600)
    assert states(first) == [("firing", True)] and first[0].repeat_at == 3600
    assert nc.pop_due(7199) == []
    second = nc.pop_due(7200)
    assert len(second) == 1 and second[0].webhook_id != first[0].webhook_id
    nc.offer(alert("resolved", 7300))
    assert states(nc.pop_due(7300)) == [("resolved", False)]
    assert nc.pop_due(20_000) == []


def test_grouping_per_entity_within_group_wait():
    nc = NoiseControl(group_wait_s=30)
    for i, (t, ent) in enumerate([(0, "churn"), (10, "churn"), (5, "fraud"), (29, "churn")]):
        assert nc.offer(alert("firing", t, alert_id=f"a{i}", entity=ent), token=i) == "queued"
    assert nc.pop_due(29) == [] and nc.next_due() == 30
    due = nc.pop_due(30)
    assert [(n.entity, len(n.records), n.tokens) for n in due] == [("churn", 3, (0, 1, 3))]
    assert due[0].refs == [f"alert|a{i}|firing|{float(t)!r}" for i, t in ((0, 0), (1, 10), (3, 29))]
    nc.offer(alert("firing", 31, alert_id="late", entity="churn"))
    assert [(n.entity, len(n.records)) for n in nc.pop_due(35)] == [("fraud", 1)]
    assert [len(n.records) for n in nc.pop_due(61)] == [1]


def test_fifty_alerts_across_models_make_one_message_per_model():
    nc = NoiseControl(group_wait_s=30)
    for i in range(50):
        nc.offer(alert("firing", i * 0.5, alert_id=f"f{i}", entity=f"model{i % 5}"))
    assert nc.pop_due(29) == []
    notes = nc.pop_due(60)
    assert sorted(len(n.records) for n in notes) == [10] * 5


def test_late_record_for_open_group_closes_it():
    nc = NoiseControl(group_wait_s=30)
    nc.offer(alert("firing", 0, alert_id="x"))
    nc.offer(alert("firing", 45, alert_id="y"))  # after the first group's deadline
    notes = nc.pop_due(45)
    assert [[r["alert_id"] for r in n.records] for n in notes] == [["x"]]
    assert [[r["alert_id"] for r in n.records] for n in nc.pop_due(75)] == [["y"]]


def flap(nc, minutes=60):
    """Firing on even minutes, resolved on odd ones; pop after every record."""
    out = []
    for m in range(minutes + 1):
        ts = m * 60.0
        nc.offer(alert("firing" if m % 2 == 0 else "resolved", ts), token=m)
        out += [(ts, n) for n in nc.pop_due(ts)]
    return out


@pytest.mark.parametrize("cooldown", [900, 1800, 3600])
def test_flapping_at_most_one_firing_and_one_resolved_per_cooldown(cooldown):
    sent = flap(NoiseControl(cooldown_s=cooldown))
    periods = {}
    for ts, n in sent:
        key = (int(ts // cooldown), n.records[0]["state"])
        periods[key] = periods.get(key, 0) + 1
    assert periods and max(periods.values()) == 1
    firing = [ts for ts, n in sent if n.records[0]["state"] == "firing"]
    assert all(b - a >= cooldown for a, b in pairwise(firing))
    assert any(n.suppressed for _, n in sent[1:])  # flap indicator on later messages


def test_flapping_hour_with_hour_cooldown_sends_one_pair():
    sent = flap(NoiseControl(cooldown_s=3600), minutes=59)
    assert [n.records[0]["state"] for _, n in sent] == ["firing", "resolved"]


def test_still_firing_after_cooldown_is_notified_then():
    nc = NoiseControl(cooldown_s=600)
    for s, t in [("firing", 0), ("resolved", 60), ("firing", 120)]:
        nc.offer(alert(s, t))
    assert states(nc.pop_due(120)) == [("firing", False), ("resolved", False)]
    assert nc.pop_due(599) == []
    late = nc.pop_due(600)
    assert states(late) == [("firing", False)] and late[0].records[0]["ts"] == 120
    assert late[0].suppressed == 1


def test_resolved_without_known_firing_is_sent_and_send_resolved_false():
    nc = NoiseControl()
    assert nc.offer(alert("resolved", 10)) == "queued"  # e.g. after a restart
    quiet = NoiseControl(send_resolved=False)
    quiet.offer(alert("firing", 0))
    assert quiet.offer(alert("resolved", 60)) == "send_resolved=false"
    assert states(quiet.pop_due(60)) == [("firing", False)]


def test_triggers_pass_through_once_and_invalid_records():
    nc = NoiseControl(group_wait_s=300, cooldown_s=3600)
    trig = {
        "kind": "trigger",
        "trigger_id": "t1",
        "type": "retrain",
        "entity": "churn",
        "entity_type": "model",
        "ts": 5.0,
    }
    assert nc.offer(trig, token="p0@1") == "queued"
    assert nc.offer(dict(trig), token="p0@2") == "duplicate"
    notes = nc.pop_due(5)
    assert [(n.kind, n.tokens) for n in notes] == [("trigger", ("p0@1",))]
    assert nc.offer({"kind": "alert", "state": "weird", "alert_id": "z"}) == "invalid"
    assert nc.offer({"kind": "trigger"}) == "invalid"
