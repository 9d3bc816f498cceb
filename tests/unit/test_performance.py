"""detectors.performance (CBPE) and detectors.drift.MeanShiftBurst: estimates on known
calibrated scores, NannyML's formulas, the band, and state round-trips (to_state/from_state)."""

from __future__ import annotations

import doctest
import json
import math

import numpy as np
import pytest

from detectors.accuracy import AccuracyWindow
from detectors.drift import MeanShiftBurst, _burst
from detectors.performance import (
    PerformanceBand,
    PerformanceEstimator,
    ScoreCalibration,
    _band,
    _calibration,
    _cbpe,
    auc_expected,
    binary_class,
    estimate,
    pav,
    positive_score,
)


@pytest.mark.parametrize("module", [_band, _calibration, _cbpe, _burst])
def test_doctests(module) -> None:
    assert doctest.testmod(module).failed == 0


def _plain(value) -> bool:
    """JSON/msgpack-able plain data (numpy arrays allowed)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool | np.ndarray)


def _roundtrip(obj):
    state = obj.to_state()
    assert _plain(state) and state["version"] == 1
    json.dumps(state, default=lambda a: a.tolist())  # serialisable once arrays are lists
    return type(obj).from_state(state)


# -- calibration and estimates ---------------------------------------------------------------
def _calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.beta(0.6, 0.6, n)
    return scores, (rng.uniform(size=n) < scores).astype(int)


def test_calibration_of_calibrated_scores_is_near_identity() -> None:
    scores, labels = _calibrated(50_000, 1)
    cal = ScoreCalibration()
    cal.add(scores, labels)
    assert cal.fit() and cal.labels == 50_000
    grid = np.linspace(0.05, 0.95, 19)
    assert np.max(np.abs(cal.calibrate(grid) - grid)) < 0.05


def test_pav_matches_sklearn_isotonic() -> None:
    isotonic = pytest.importorskip("sklearn.isotonic")
    rng = np.random.default_rng(2)
    y, w = rng.uniform(size=300), rng.integers(1, 5, 300).astype(float)
    expected = isotonic.IsotonicRegression().fit(np.arange(300), y, sample_weight=w)
    assert np.allclose(pav(y, w), expected.predict(np.arange(300)))


def test_estimate_on_calibrated_scores_matches_the_realised_metrics() -> None:
    scores, _ = _calibrated(200_000, 3)
    rng = np.random.default_rng(4)
    labels = (rng.uniform(size=scores.size) < scores).astype(int)
    predicted = (scores >= 0.5).astype(int)
    est = estimate(scores, scores, predicted)  # scores are calibrated: p = score
    window = AccuracyWindow(positive=1)
    for s, p, y in zip(scores[:50_000], predicted[:50_000], labels[:50_000], strict=True):
        window.add({"prediction": int(p), "label": int(y), "score": float(s)})
    realised = window.metrics()
    for metric in ("accuracy", "precision", "recall", "f1", "auc"):
        assert abs(est[metric] - realised[metric]) < 0.01, metric


def test_auc_expected_with_hard_labels_is_the_mann_whitney_auc() -> None:
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(5)
    scores = np.round(rng.uniform(size=2000), 2)  # many ties
    labels = (rng.uniform(size=2000) < scores).astype(float)
    assert auc_expected(scores, labels) == pytest.approx(sk.roc_auc_score(labels, scores))
    assert auc_expected(scores, np.ones(2000)) is None


def test_nannyml_roc_auc_formula_on_a_small_case() -> None:
    # nannyml 0.13.1 estimate_roc_auc([0.9, 0.8, 0.3, 0.1], same) = 0.8634085213032581
    p = np.array([0.9, 0.8, 0.3, 0.1])
    assert auc_expected(p, p) == pytest.approx(0.8634085213032581)


def test_class_spellings_and_scores() -> None:
    assert [binary_class(v) for v in (1, 0, True, "yes", "No", 1.0, 2, "cat", None)] == \
        [1, 0, 1, 1, 0, 1, -1, -1, -1]
    assert positive_score({"0": 0.2, "1": 0.8}) == 0.8
    assert [positive_score(v) for v in (0.3, 1.2, True, None, {"a": 0.5})] == \
        [0.3, None, None, None, None]


def test_band_is_mean_plus_minus_three_std_of_realised() -> None:
    band = PerformanceBand(min_windows=5, max_windows=10)
    values = [0.90, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.10]
    added = [band.add({"accuracy": v}) for v in values]
    assert added == [True] * 10 + [False]  # fixed after max_windows
    lower, upper = band.bounds("accuracy")  # type: ignore[misc]
    ref = np.array(values[:10])
    assert lower == pytest.approx(ref.mean() - 3 * ref.std())
    assert upper == 1.0  # clipped
    assert _roundtrip(band).bounds("accuracy") == band.bounds("accuracy")


# -- the streaming estimator ----------------------------------------------------------------
def _feed(est: PerformanceEstimator, scores: np.ndarray, labels: np.ndarray | None,
          t0: float, window: int) -> list:
    """Predictions (and, if given, their labels right after), closing a window every
    ``window`` predictions; returns every output."""
    out, preds = [], []
    for i, s in enumerate(scores):
        ts = t0 + i
        est.add_prediction(float(s), ts)
        preds.append(int(s >= 0.5))
        if labels is not None:
            out += est.add_label({"score": float(s), "prediction": int(s >= 0.5),
                                  "label": int(labels[i]), "ts_pred": ts, "ts_label": ts})
        if len(preds) == window:
            out += est.close_window(preds, ts - window + 1, ts)
            preds = []
    return out


def test_estimator_flags_a_drop_without_labels_and_reports_its_error_with_them() -> None:
    est = PerformanceEstimator()
    scores, labels = _calibrated(20_000, 6)
    out = _feed(est, scores, labels, 0.0, 1000)
    errors = [o for o in out if o[0] == "estimate_error.accuracy"]
    assert len(errors) >= 15 and max(abs(o[1]) for o in errors) < 0.05
    assert est.band.lower("accuracy") is not None
    # then unlabelled predictions whose scores crowd around 0.5: accuracy falls to ~0.6
    hard = np.random.default_rng(7).uniform(0.35, 0.65, 5000)
    out = _feed(est, hard, None, 20_000.0, 1000)
    acc = [o for o in out if o[0] == "estimated.accuracy"]
    assert all(o[1] < o[2] for o in acc) and all(0.55 < o[1] < 0.65 for o in acc)
    sustained = [o[1] for o in out if o[0] == "estimated.sustained"]
    assert sustained == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_estimator_is_quiet_on_a_stable_stream() -> None:
    est = PerformanceEstimator()
    scores, labels = _calibrated(40_000, 8)
    out = _feed(est, scores[:15_000], labels[:15_000], 0.0, 1000)
    out = _feed(est, scores[15_000:], None, 15_000.0, 1000)
    flagged = [o for o in out if o[0].startswith("estimated.") and o[2] is not None
               and o[0] != "estimated.sustained" and o[1] < o[2]]
    assert flagged == []


def test_estimator_state_roundtrip_continues_identically() -> None:
    scores, labels = _calibrated(12_500, 9)
    a = PerformanceEstimator()
    _feed(a, scores[:7_300], labels[:7_300], 0.0, 1000)  # mid-window, labels buffered
    b = _roundtrip(a)
    tail = (scores[7_300:], labels[7_300:], 7_300.0, 1000)
    assert _feed(a, *tail) == _feed(b, *tail)
    assert np.array_equal(a.calibration.ys, b.calibration.ys)


def test_calibration_state_roundtrip() -> None:
    scores, labels = _calibrated(5000, 10)
    a = ScoreCalibration(bins=256)
    a.add(scores, labels)
    a.fit()
    b = _roundtrip(a)
    more = _calibrated(3000, 11)
    for cal in (a, b):
        cal.add(*more)
        cal.fit()
    assert np.array_equal(a.calibrate(scores), b.calibrate(scores))


# -- MeanShiftBurst -------------------------------------------------------------------------
def _rows(rng: np.random.Generator, n: int, shift: float) -> list[dict]:
    return [{"a": rng.normal(shift), "b": rng.normal(shift), "c": float(rng.integers(0, 3)),
             "d": rng.exponential(1.0) + shift, "e": None} for _ in range(n)]


def test_burst_is_quiet_on_stable_rows_and_fires_when_most_features_move() -> None:
    rng = np.random.default_rng(12)
    burst = MeanShiftBurst(["a", "b", "c", "d"], [0.0, 0.0, 1.0, 1.0],
                           [1.0, 1.0, math.sqrt(2 / 3), 1.0], [2000] * 4, hop=250)
    quiet = [burst.update(_rows(rng, 250, 0.0)) for _ in range(400)]
    assert max(v for v, *_ in quiet) < 0.75
    value, threshold, names, _ = burst.update(_rows(rng, 250, 0.6))
    assert value >= threshold == 0.75 and set(names) == {"a", "b", "d"}


def test_burst_needs_three_features_and_state_roundtrips() -> None:
    assert not MeanShiftBurst(["a", "b"], [0, 0], [1, 1], [100, 100], hop=50).usable
    rng = np.random.default_rng(13)
    a = MeanShiftBurst(["a", "b", "c", "d"], [0, 0, 1, 1], [1, 1, 0.8, 1], [2000] * 4, hop=100)
    for _ in range(3):
        a.update(_rows(rng, 100, 0.0), 0.0, 1.0)
    b = _roundtrip(a)
    for k in range(5):
        rows = _rows(rng, 100, 0.3 * k)
        assert a.update(rows, k, k + 1.0) == b.update(rows, k, k + 1.0)
