"""Cost budgets: threshold alerts once per period, per-user scopes, burn-rate projection."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from detectors.budget import Budget, BudgetTracker, period_bounds
from detectors.rules import alert_id

DAY2 = datetime(2026, 1, 2, tzinfo=UTC).timestamp()
HOUR = 3600.0


def feed(tracker, app, user, costs_at) -> list[dict]:
    return [a for ts, cost in costs_at for a in tracker.observe(app, user, cost, ts)]


def steady(start: float, hours: float, per_hour: float, every_s: float = 60.0):
    """One request every ``every_s`` seconds, costing ``per_hour`` per hour in total."""
    n = int(hours * HOUR / every_s)
    return [(start + i * every_s, per_hour * every_s / HOUR) for i in range(n)]


def firing(alerts, metric="budget.used_share", threshold=None):
    return [a for a in alerts if a["metric"] == metric and a["state"] == "firing"
            and (threshold is None or a["threshold"] == threshold)]


def test_period_bounds_utc_day_and_month():
    assert period_bounds("day", DAY2 + 5) == (DAY2, DAY2 + 86400, "day:2026-01-02")
    start, end, label = period_bounds("month", datetime(2025, 12, 31, 23, tzinfo=UTC).timestamp())
    assert label == "month:2025-12" and end == datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert start == datetime(2025, 12, 1, tzinfo=UTC).timestamp()


def test_80_percent_alert_exactly_once_per_day_and_again_next_day():
    tracker = BudgetTracker([Budget("bot", limit_usd=10.0)], min_elapsed_fraction=1.0)
    # ~$0.5/h for 24 h spends $12 (120 %); then the same again the next day
    day1 = feed(tracker, "bot", "u1", steady(DAY2, 24, 0.5))
    day2 = feed(tracker, "bot", "u1", steady(DAY2 + 86400, 24, 0.5))
    for day, label in ((day1, "day:2026-01-02"), (day2, "day:2026-01-03")):
        eighty = firing(day, threshold=0.8)
        assert len(eighty) == 1 and eighty[0]["dimension"] == f"{label}@80%"
        assert [a["threshold"] for a in firing(day)] == [0.5, 0.8, 1.0]
    a = firing(day1, threshold=0.8)[0]
    assert a["alert_id"] == alert_id("bot", "budget.used_share", "day:2026-01-02@80%")
    assert len({x["alert_id"] for x in firing(day1)}) == 3  # one alert per threshold
    assert a["entity_type"] == "app" and a["window_start"] == DAY2 and a["value"] >= 0.8
    assert firing(day1, threshold=1.0)[0]["severity"] == "critical"
    resolved = [x for x in day2 if x["state"] == "resolved"]
    assert [(x["dimension"], x["ts"]) for x in resolved] == [
        (f"day:2026-01-02@{p}", DAY2 + 86400) for p in ("50%", "80%", "100%")]


def test_one_big_request_crossing_several_thresholds_alerts_each_threshold_once():
    tracker = BudgetTracker([Budget("bot", 10.0)])
    fifty, eighty = tracker.observe("bot", None, 9.0, DAY2 + 60)
    assert (fifty["threshold"], eighty["threshold"]) == (0.5, 0.8)
    assert eighty["evidence"]["thresholds_crossed"] == [0.5, 0.8]
    assert firing(tracker.observe("bot", None, 0.5, DAY2 + 120)) == []


def test_per_user_budgets_are_independent():
    tracker = BudgetTracker([Budget("bot", 1.0, per_user=True)], min_elapsed_fraction=1.0)
    alice = feed(tracker, "bot", "alice", [(DAY2 + i, 0.1) for i in range(9)])
    bob = feed(tracker, "bot", "bob", [(DAY2 + 100 + i, 0.1) for i in range(4)])
    assert [(a["dimension"], a["threshold"]) for a in alice] == [
        ("alice@day:2026-01-02@50%", 0.5), ("alice@day:2026-01-02@80%", 0.8)]
    assert bob == []
    assert tracker.status("bot", DAY2 + 200, user="bob")["spent"] == pytest.approx(0.4)
    assert tracker.status("bot", DAY2 + 200, user="alice")["used_share"] == pytest.approx(0.9)


def test_projection_alerts_once_per_period_after_min_elapsed():
    tracker = BudgetTracker([Budget("bot", 10.0, thresholds=(2.0,))])
    # $1/h burns 24/10 = 2.4x the daily budget; projection starts at 10 % of the day (2.4 h)
    alerts = feed(tracker, "bot", None, steady(DAY2, 24, 1.0))
    proj = firing(alerts, "budget.projected_share")
    assert len(proj) == 1
    assert proj[0]["ts"] == pytest.approx(DAY2 + 0.1 * 86400, abs=60)
    assert proj[0]["value"] == pytest.approx(2.4, rel=0.01)
    assert proj[0]["dimension"] == "day:2026-01-02" and proj[0]["severity"] == "warning"


def test_no_projection_alert_for_a_spend_within_budget():
    tracker = BudgetTracker([Budget("bot", 10.0)])
    alerts = feed(tracker, "bot", None, steady(DAY2, 24, 0.4))  # 96 % by the end of the day
    assert firing(alerts, "budget.projected_share") == []
    assert [a["threshold"] for a in firing(alerts)] == [0.5, 0.8]


def test_status_and_new_period_starts_clean():
    tracker = BudgetTracker([Budget("*", 10.0)])
    tracker.observe("bot", None, 4.0, DAY2 + 6 * HOUR)
    st = tracker.status("bot", DAY2 + 12 * HOUR)
    assert st["spent"] == 4.0 and st["limit"] == 10.0 and st["used_share"] == 0.4
    assert st["projected_share"] == pytest.approx(0.8)
    assert (st["period_start"], st["period_end"]) == (DAY2, DAY2 + 86400)
    assert tracker.status("bot", DAY2 + 86400 + 60)["spent"] == 0.0
    assert tracker.status("other", DAY2)["spent"] == 0.0  # "*" covers every app separately
    with pytest.raises(KeyError):
        tracker.status("bot", DAY2, user="alice")


def test_late_event_from_a_previous_period_is_counted_not_added():
    tracker = BudgetTracker([Budget("bot", 10.0)])
    tracker.observe("bot", None, 1.0, DAY2 + 86400 + 5)
    assert tracker.observe("bot", None, 9.0, DAY2 + 10) == []
    assert tracker.counters["late"] == 1


def test_prune_resolves_and_forgets_ended_periods():
    tracker = BudgetTracker([Budget("bot", 1.0, per_user=True)])
    tracker.observe("bot", "alice", 0.6, DAY2 + 60)
    (res,) = tracker.prune(DAY2 + 86400)
    assert res["state"] == "resolved" and res["dimension"] == "alice@day:2026-01-02@50%"
    assert tracker.prune(DAY2 + 2 * 86400) == []


def test_monthly_budget_and_pickling():
    tracker = BudgetTracker([Budget("bot", 100.0, period="month")])
    first = feed(tracker, "bot", None, [(DAY2 + i * HOUR, 1.0) for i in range(40)])
    clone = pickle.loads(pickle.dumps(tracker))
    rest = [(DAY2 + (40 + i) * HOUR, 1.0) for i in range(30)]
    assert feed(clone, "bot", None, rest) == feed(tracker, "bot", None, rest)
    assert first == [] and tracker.status("bot", DAY2)["period"] == "month:2026-01"


@pytest.mark.parametrize("kw", [{"period": "week"}, {"limit_usd": 0}, {"thresholds": ()}])
def test_bad_budget_rejected(kw):
    with pytest.raises(ValueError):
        Budget(**{"app": "bot", "limit_usd": 1.0, **kw})
