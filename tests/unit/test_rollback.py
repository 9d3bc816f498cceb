"""Prompt-version comparison: verdicts on real regressions, silence on equal versions."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.stats as st

from detectors.rollback import (
    PromptVersionComparator,
    mean_increase_p,
    proportion_increase_p,
    t_sf,
)

BASE = {"halluc": 0.10, "negative": 0.20, "cost": 0.002}


def simulate(comparator, seed: int, n: int, versions: dict[str, dict], rollout: list[tuple]):
    """Feed ``n`` events; ``rollout`` is [(first event index, version), ...]: from each index on,
    traffic is split evenly between that version and the previous one. Returns (index, verdict).
    """
    rng = np.random.default_rng(seed)
    for i in range(n):
        live = [v for start, v in rollout if start <= i][-2:]
        v = live[-1] if len(live) == 1 or rng.random() < 0.5 else live[0]
        p = {**BASE, **versions.get(v, {})}
        feedback = None if rng.random() < 0.7 else bool(rng.random() < p["negative"])
        cost = float(rng.gamma(2.0, p["cost"] / 2.0))
        verdict = comparator.observe("bot", v, 1000.0 + i, bool(rng.random() < p["halluc"]),
                                     feedback, cost)
        if verdict is not None:
            return i, verdict
    return None


def test_t_sf_matches_scipy():
    for t, df in [(2.0, 5), (-1.3, 3.5), (0.5, 100), (4.0, 250.7), (10.0, 2), (0.0, 7)]:
        assert t_sf(t, df) == pytest.approx(st.t.sf(t, df), rel=1e-9, abs=1e-15)


def test_welch_matches_scipy_for_ratio_one():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.2, 1.0, 80), rng.normal(1.0, 2.0, 120)
    ours = mean_increase_p(a.mean(), a.var(ddof=1), 80, b.mean(), b.var(ddof=1), 120)
    ref = st.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue
    assert ours == pytest.approx(ref, rel=1e-9)


def test_proportion_test_margin():
    assert proportion_increase_p(30, 100, 10, 100) < 0.001
    assert proportion_increase_p(30, 100, 10, 100, margin=0.2) > 0.4
    assert proportion_increase_p(10, 100, 30, 100) > 0.99


def test_hallucination_regression_gives_verdict_v2_to_v1():
    # v1 serves 2000 events alone, then v2 takes half the traffic with 3x the hallucinations
    found = simulate(PromptVersionComparator(), 1, 20_000, {"v2": {"halluc": 0.30}},
                     [(0, "v1"), (2000, "v2")])
    assert found is not None
    i, verdict = found
    assert (verdict["app"], verdict["from_version"], verdict["to_version"]) == ("bot", "v2", "v1")
    (m,) = verdict["metrics"]
    assert m["metric"] == "hallucination.rate" and m["from_value"] > m["to_value"]
    assert m["n_from"] == 100  # decided at the first v2 event that reaches min_samples
    assert m["p_value"] < 0.01 and verdict["ts"] == 1000.0 + i


@pytest.mark.parametrize("seed", range(3))
def test_equal_versions_no_false_alarm_over_20000_events(seed):
    found = simulate(PromptVersionComparator(), 100 + seed, 20_000, {},
                     [(0, "v1"), (2000, "v2")])
    assert found is None


def test_cost_regression_only():
    found = simulate(PromptVersionComparator(), 2, 20_000, {"v2": {"cost": 0.004}},
                     [(0, "v1"), (2000, "v2")])
    _, verdict = found
    assert [m["metric"] for m in verdict["metrics"]] == ["cost.per_request"]
    assert verdict["metrics"][0]["n_from"] == 100
    assert verdict["metrics"][0]["from_value"] > 1.5 * verdict["metrics"][0]["to_value"]


def test_feedback_regression_only():
    found = simulate(PromptVersionComparator(), 3, 20_000, {"v2": {"negative": 0.45}},
                     [(0, "v1"), (2000, "v2")])
    _, verdict = found
    assert [m["metric"] for m in verdict["metrics"]] == ["feedback.negative_rate"]
    assert verdict["metrics"][0]["n_from"] <= 150  # feedback on ~30 % of requests


def test_three_versions_bad_v3_rolls_back_to_good_v2():
    comparator = PromptVersionComparator()
    found = simulate(comparator, 4, 30_000, {"v3": {"halluc": 0.35}},
                     [(0, "v1"), (2000, "v2"), (8000, "v3")])
    i, verdict = found
    assert i > 8000 and (verdict["from_version"], verdict["to_version"]) == ("v3", "v2")


def test_version_judged_worse_is_skipped_as_last_good():
    comparator = PromptVersionComparator()
    _, first = simulate(comparator, 5, 10_000, {"v2": {"halluc": 0.4}},
                        [(0, "v1"), (2000, "v2")])
    assert first["to_version"] == "v1"
    rng = np.random.default_rng(6)
    verdict = None
    for i in range(5000):
        bad = rng.random() < 0.4
        verdict = verdict or comparator.observe("bot", "v3", 20_000.0 + i, bad, None, None)
    assert (verdict["from_version"], verdict["to_version"]) == ("v3", "v1")


def test_one_verdict_per_version_and_pickling():
    comparator = PromptVersionComparator()
    simulate(comparator, 7, 3000, {"v2": {"halluc": 0.4}}, [(0, "v1"), (2000, "v2")])
    clone = pickle.loads(pickle.dumps(comparator))
    assert clone.observe("bot", "v2", 10_000.0, True, True, 1.0) is None


def test_window_s_forgets_old_events():
    comparator = PromptVersionComparator(min_samples=50, window_s=100.0)
    for i in range(200):
        comparator.observe("bot", "v1", float(i), i % 10 == 0, None, None)
    for i in range(200, 260):  # v1 has left the 100 s window: nothing to compare against
        assert comparator.observe("bot", "v2", float(i) + 100, True, None, None) is None


@pytest.mark.parametrize("kw", [{"min_samples": 1}, {"alpha": 0}, {"cost_ratio": 1.0},
                                {"window_s": 0}])
def test_bad_parameters_rejected(kw):
    with pytest.raises(ValueError):
        PromptVersionComparator(**kw)
