"""Drift statistics against their scipy/numpy definitions, edge cases, bad parameters, and the
window change detector (golden alarm positions)."""

from __future__ import annotations

import doctest
import math
import pickle
import random
import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from detectors.drift import (
    METHODS,
    ReferenceProfile,
    WindowChange,
    _change,
    _stats,
    allowed_methods,
    column_drift,
    window_means,
    window_statistics,
)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _numeric(ref, **kw):
    return ReferenceProfile.from_columns({"x": ref}, kinds={"x": "numeric"}, **kw)["x"]


def _categorical(ref):
    return ReferenceProfile.from_columns({"c": ref}, kinds={"c": "categorical"})["c"]


# --- statistics vs their definitions -------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wasserstein_and_ks_match_scipy(seed: int) -> None:
    r = np.random.default_rng(seed)
    ref = np.round(r.normal(0, 1, 3000), 1)  # ties on both sides
    cur = np.round(r.normal(0.1 * seed, 1.2, 700), 1)
    p = _numeric(ref)
    w = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert column_drift(p, cur, "wasserstein").statistic == pytest.approx(w, rel=1e-12)
    assert column_drift(p, cur, "ks").statistic == pytest.approx(
        stats.ks_2samp(ref, cur).pvalue, rel=1e-9, abs=1e-300
    )


def test_ks_asymptotic_branch_matches_scipy_above_10k() -> None:
    r = np.random.default_rng(3)
    ref, cur = r.normal(0, 1, 12_000), r.normal(0.05, 1, 1000)
    p = _numeric(ref, max_sample=20_000)
    assert column_drift(p, cur, "ks").statistic == pytest.approx(stats.ks_2samp(ref, cur).pvalue)


def test_sturges_edges_match_numpy() -> None:
    r = np.random.default_rng(4)
    for n in (50, 1000, 11_000):
        data = r.lognormal(0, 1, n)
        expected = np.histogram_bin_edges(data, "sturges")
        np.testing.assert_array_equal(_stats.sturges_edges(data.min(), data.max(), n), expected)


def test_binned_psi_and_js_by_hand() -> None:
    r = np.random.default_rng(5)
    ref, cur = r.normal(0, 1, 4000), r.normal(0.3, 1, 500)
    edges = np.histogram_bin_edges(np.r_[ref, cur], "sturges")
    a = np.histogram(ref, edges)[0] / ref.size
    b = np.histogram(cur, edges)[0] / cur.size
    p = _numeric(ref)
    js = distance.jensenshannon(a, b)
    assert column_drift(p, cur, "jensenshannon").statistic == pytest.approx(js, rel=1e-12)
    a0, b0 = _stats.fill_zeroes(a), _stats.fill_zeroes(b)
    psi = np.sum((a0 - b0) * np.log(a0 / b0))
    assert column_drift(p, cur, "psi").statistic == pytest.approx(psi, rel=1e-12)


def test_fill_zeroes_rule() -> None:
    np.testing.assert_array_equal(_stats.fill_zeroes(np.array([0.5, 0.5, 0.0])), [0.5, 0.5, 1e-4])
    filled = _stats.fill_zeroes(np.array([0.99995, 0.00005, 0.0]))
    assert filled[2] == pytest.approx(0.00005 / 1e6)


def test_chisquare_matches_scipy() -> None:
    ref = ["a"] * 500 + ["b"] * 300 + ["c"] * 200
    cur = ["a"] * 40 + ["b"] * 40 + ["c"] * 20
    expected = stats.chisquare([40, 40, 20], [50.0, 30.0, 20.0]).pvalue
    assert column_drift(_categorical(ref), cur, "chisquare").statistic == pytest.approx(expected)


# --- verdict rules and parameters ----------------------------------------------------------


def test_methods_table() -> None:
    assert {m: (s.kinds, s.threshold) for m, s in METHODS.items()} == {
        "wasserstein": (("numeric",), 0.1),
        "psi": (("numeric", "categorical"), 0.1),
        "jensenshannon": (("numeric", "categorical"), 0.1),
        "ks": (("numeric",), 0.05),
        "chisquare": (("categorical",), 0.05),
    }
    assert allowed_methods("categorical") == ["psi", "jensenshannon", "chisquare"]


def test_verdict_edges() -> None:
    assert METHODS["psi"].drifted(0.1, 0.1) and not METHODS["psi"].drifted(0.0999, 0.1)
    assert METHODS["ks"].drifted(0.05, 0.05)  # Evidently: p <= threshold
    assert not METHODS["chisquare"].drifted(0.05, 0.05)  # Evidently: p < threshold
    assert not METHODS["wasserstein"].drifted(float("nan"), 0.1)


@pytest.mark.parametrize("method", ["chisquare", "bogus", "", 3])
def test_bad_method_for_numeric_names_column_and_allowed(method) -> None:
    with pytest.raises(ValueError, match=r"'x'.*allowed: wasserstein, psi, jensenshannon, ks"):
        column_drift(_numeric([1.0, 2.0, 3.0]), [1.0], method)


def test_bad_method_for_categorical() -> None:
    with pytest.raises(ValueError, match=r"'c'.*'wasserstein'.*allowed: psi, jensenshannon"):
        column_drift(_categorical(["a", "b"]), ["a"], "wasserstein")


@pytest.mark.parametrize("threshold", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_threshold_rejected(threshold) -> None:
    with pytest.raises(ValueError, match="'x'.*threshold"):
        column_drift(_numeric([1.0, 2.0, 3.0]), [1.0], "psi", threshold)


def test_pvalue_threshold_above_one_rejected() -> None:
    with pytest.raises(ValueError, match="p-value threshold"):
        column_drift(_numeric([1.0, 2.0, 3.0]), [1.0], "ks", 1.5)


def test_explicit_threshold_used() -> None:
    r = np.random.default_rng(6)
    p = _numeric(r.normal(0, 1, 2000))
    d = column_drift(p, r.normal(0.05, 1, 500), "wasserstein", threshold=0.01)
    assert d.threshold == 0.01 and d.drifted


# --- edge cases ----------------------------------------------------------------------------


def test_constant_reference_column() -> None:
    p = _numeric([2.0] * 500)
    same = column_drift(p, [2.0] * 100)
    assert (same.method, same.statistic, same.drifted) == ("jensenshannon", 0.0, False)
    moved = column_drift(p, [2.0] * 50 + [2.5] * 50, "wasserstein")
    assert moved.statistic == pytest.approx(0.25 / 0.001) and moved.drifted
    assert moved.unseen_share == 0.5


@pytest.mark.parametrize("method", ["wasserstein", "psi", "jensenshannon", "ks"])
def test_all_missing_numeric_window(method: str) -> None:
    d = column_drift(_numeric([1.0, 2.0, 3.0]), [None, float("nan"), float("inf")], method)
    assert math.isnan(d.statistic) and not d.drifted
    assert (d.missing_share, d.unseen_share, d.n) == (1.0, 0.0, 0)


@pytest.mark.parametrize("method", ["psi", "jensenshannon", "chisquare"])
def test_all_missing_categorical_window(method: str) -> None:
    d = column_drift(_categorical(["a", "b"]), [None, float("nan")], method)
    assert math.isnan(d.statistic) and not d.drifted and d.missing_share == 1.0


@pytest.mark.parametrize("profile", [_numeric([1.0, 2.0]), _categorical(["a"])])
def test_empty_window_raises(profile) -> None:
    with pytest.raises(ValueError, match="no rows"):
        column_drift(profile, [])


def test_single_category() -> None:
    p = _categorical(["x"] * 100)
    assert math.isnan(column_drift(p, ["x"] * 10, "chisquare").statistic)  # 0 degrees of freedom
    assert column_drift(p, ["x"] * 10).statistic == 0.0


def test_unseen_categories_share_and_statistic() -> None:
    p = _categorical(["a"] * 50 + ["b"] * 50)
    d = column_drift(p, ["a"] * 6 + ["z"] * 3 + ["y"] + [None] * 10, "chisquare")
    assert (d.unseen_share, d.missing_share, d.n) == (0.4, 0.5, 10)
    assert d.statistic == 0.0 and d.drifted  # expected count 0 for an observed category
    js = column_drift(p, ["a"] * 6 + ["z"] * 3 + ["y"])
    assert js.statistic == pytest.approx(
        distance.jensenshannon([0.5, 0.5, 0, 0], [0.6, 0, 0.3, 0.1])
    )


def test_non_numeric_value_in_numeric_column() -> None:
    with pytest.raises(ValueError, match="'x' is numeric"):
        column_drift(_numeric([1.0, 2.0]), [1.0, "high"])


def test_numpy_inputs_accepted() -> None:
    r = np.random.default_rng(7)
    ref, cur = r.normal(size=1000), r.normal(size=200)
    p = _numeric(ref)
    assert column_drift(p, cur).statistic == column_drift(p, cur.tolist()).statistic
    c = _categorical(np.array(["a", "b", "a"]))
    assert column_drift(c, np.array(["a", "b"])).statistic == column_drift(c, ["a", "b"]).statistic


# --- change detection across windows -------------------------------------------------------


def test_change_doctest() -> None:
    assert doctest.testmod(_change).failed == 0


def _window_means(seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(40.0, 0.3) for _ in range(60)] + [rng.gauss(41.0, 0.3) for _ in range(40)]


def _alarms(change: WindowChange, values: list[float]) -> list[int]:
    return [i for i, v in enumerate(values) if change.update({"age": v}).drift_detected]


def test_golden_adwin_and_page_hinkley_alarm_indices() -> None:
    from river import drift

    values = _window_means(7)
    assert _alarms(WindowChange(), values) == [82]
    ph = WindowChange(drift.PageHinkley(min_instances=10, threshold=5))
    assert _alarms(ph, values) == [65]


def test_change_quiet_on_constant_stream_and_skips_nan() -> None:
    change = WindowChange()
    assert _alarms(change, [1.0] * 200) == []
    change.update({"age": float("nan"), "tenure": None})
    assert set(change.detectors) == {"age"} and not change.drift_detected


def test_change_state_survives_pickling() -> None:
    values = _window_means(7)
    change = WindowChange()
    _alarms(change, values[:70])
    clone = pickle.loads(pickle.dumps(change))
    assert _alarms(clone, values[70:]) == _alarms(change, values[70:]) == [12]


def test_change_rejects_non_detector() -> None:
    with pytest.raises(TypeError, match="update"):
        WindowChange(object())


def test_window_summaries() -> None:
    profile = ReferenceProfile.from_columns({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    assert window_means(profile, {"x": [1.0, None, 3.0], "c": ["a"]}) == {"x": 2.0}
    assert math.isnan(window_means(profile, {"x": [None]})["x"])
    result = {"columns": {"x": {"statistic": 0.2}, "c": {"statistic": 0.1}}}
    assert window_statistics(result) == {"x": 0.2, "c": 0.1}


def test_window_means_rows_match_one_column_means() -> None:
    """Equal-length columns are summed as rows of one array: the same bits as each column's
    own mean, whether a column is finite, holds NaN/inf, or overflows."""
    rng = np.random.default_rng(3)
    columns = {f"x{i}": rng.normal(0.0, 1.0, 1000) for i in range(5)}
    columns["x1"][7], columns["x2"][9], columns["x3"][:] = np.nan, -np.inf, 1.7e308
    profile = ReferenceProfile.from_columns({name: [0.0, 1.0] for name in columns})
    expected = {name: repr(float(a[np.isfinite(a)].mean())) for name, a in columns.items()
                if name != "x3"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # x3's own sum overflows
        means = window_means(profile, columns)
    assert {name: repr(m) for name, m in means.items() if name != "x3"} == expected
    assert means["x3"] == math.inf
