"""Label join, window metrics (checked against hand/numpy computations) and decay detection."""

from __future__ import annotations

import doctest
import math
import pickle

import numpy as np
import pytest

from detectors import accuracy
from detectors.accuracy import AccuracyWindow, DecayDetector, LabelJoin

DAY = 86400.0


def pred(pid, ts, prediction=1, score=None, version="m1"):
    return {"prediction_id": pid, "ts": ts, "prediction": prediction, "score": score,
            "model": "churn", "model_version": version}


def lab(pid, ts, label=1):
    return {"prediction_id": pid, "ts": ts, "label": label}


def test_doctest():
    assert doctest.testmod(accuracy).failed == 0


# ---- LabelJoin -------------------------------------------------------------------------------

def test_join_prediction_then_label():
    join = LabelJoin()
    assert join.add_prediction(pred("a", 100.0, 1, 0.8)) is None
    pair = join.add_label(lab("a", 160.0, 0))
    assert pair == {"prediction_id": "a", "model": "churn", "model_version": "m1",
                    "prediction": 1, "label": 0, "score": 0.8, "ts_pred": 100.0,
                    "ts_label": 160.0, "latency_s": 60.0}
    assert join.counters["joined"] == 1 and join.pending == {"predictions": 0, "labels": 0}


def test_join_label_before_prediction():
    join = LabelJoin()
    assert join.add_label(lab("a", 90.0, 1)) is None
    pair = join.add_prediction(pred("a", 100.0, 1))
    assert pair["label"] == 1 and pair["latency_s"] == -10.0
    assert join.counters["label_before_prediction"] == 1


def test_duplicates_are_counted_and_ignored():
    join = LabelJoin()
    join.add_prediction(pred("a", 1.0))
    assert join.add_prediction(pred("a", 2.0)) is None
    assert join.add_label(lab("a", 3.0)) is not None
    assert join.add_label(lab("a", 4.0)) is None
    join.add_label(lab("b", 5.0))
    assert join.add_label(lab("b", 6.0)) is None
    assert join.add_prediction(pred("a", 7.0)) is None  # already joined
    c = join.counters
    assert (c["duplicate_prediction"], c["duplicate_label"], c["joined"]) == (2, 2, 1)


def test_unknown_label_and_unlabeled_prediction_expire_after_ttl():
    join = LabelJoin(ttl_s=DAY)
    join.add_label(lab("ghost", 0.0))
    join.add_prediction(pred("p", 10.0))
    join.add_prediction(pred("q", 20.0))
    assert join.expire(DAY) == 0
    assert join.expire(DAY + 15.0) == 2  # ghost (ts 0) and p (ts 10); q is 20: still inside
    assert join.counters["unknown_expired"] == 1
    assert join.counters["predictions_unlabeled_expired"] == 1
    assert join.add_label(lab("ghost", DAY + 16)) is None  # the prediction is gone
    assert join.add_label(lab("q", DAY + 16)) is not None


def test_label_later_than_ttl_is_not_joined_even_before_expire_runs():
    join = LabelJoin(ttl_s=DAY)
    join.add_prediction(pred("a", 0.0))
    assert join.add_label(lab("a", DAY + 1)) is None
    assert join.counters["label_too_late"] == 1


def test_max_pending_evicts_oldest_and_missing_id():
    join = LabelJoin(max_pending=2)
    for i in range(3):
        join.add_prediction(pred(str(i), float(i)))
    assert join.counters["evicted_overflow"] == 1 and join.add_label(lab("0", 5.0)) is None
    assert join.add_label({"ts": 1.0, "label": 1}) is None and join.counters["missing_id"] == 1


def test_join_state_pickles():
    join = LabelJoin()
    join.add_prediction(pred("a", 1.0))
    clone = pickle.loads(pickle.dumps(join))
    assert clone.add_label(lab("a", 2.0))["latency_s"] == 1.0


# ---- AccuracyWindow --------------------------------------------------------------------------

def window_of(labels, preds, scores=None, **kw) -> AccuracyWindow:
    w = AccuracyWindow(**kw)
    scores = scores if scores is not None else [None] * len(labels)
    for y, p, s in zip(labels, preds, scores, strict=True):
        w.add({"label": y, "prediction": p, "score": s, "latency_s": 5.0})
    return w


def test_binary_metrics_by_hand():
    y = [1, 1, 1, 0, 0, 0, 0, 1]
    p = [1, 0, 1, 0, 1, 0, 0, 1]
    s = [0.9, 0.4, 0.7, 0.2, 0.6, 0.1, 0.3, 0.6]
    m = window_of(y, p, s).metrics()
    tp, fp, fn = 3, 1, 1
    assert m["accuracy"] == 6 / 8
    assert m["precision"] == tp / (tp + fp) and m["recall"] == tp / (tp + fn)
    assert m["f1"] == pytest.approx(2 * 0.75 * 0.75 / 1.5)
    ya, sa = np.array(y), np.array(s)
    logloss = -np.mean(ya * np.log(sa) + (1 - ya) * np.log(1 - sa))
    assert m["logloss"] == pytest.approx(logloss)
    pairs = [(a, b) for a in sa[ya == 1] for b in sa[ya == 0]]  # AUC = P(s+ > s-), ties 1/2
    auc = np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs])
    assert m["auc"] == pytest.approx(auc) and m["n"] == 8


def test_positive_class_rules():
    # strings without a "positive" spelling: minority label class is positive
    m = window_of(["spam", "ham", "ham", "ham"], ["spam", "spam", "ham", "ham"]).metrics()
    assert (m["precision"], m["recall"]) == (0.5, 1.0)
    # bool / "1" / 1.0 are one class, and True is positive even as the majority
    m = window_of([True, True, True, False], ["1", 1.0, 0, False]).metrics()
    assert m["accuracy"] == 0.75 and m["recall"] == pytest.approx(2 / 3) and m["precision"] == 1
    m = window_of(["a", "b"], ["a", "a"], positive="a").metrics()
    assert (m["precision"], m["recall"]) == (0.5, 1.0)


def test_multiclass_macro_by_hand():
    y = ["a", "a", "b", "b", "c", "c"]
    p = ["a", "b", "b", "b", "a", "d"]
    m = window_of(y, p).metrics()
    # per class (precision, recall): a (1/2, 1/2), b (2/3, 1), c (0, 0), d (0, 0)
    prec = np.mean([0.5, 2 / 3, 0, 0])
    rec = np.mean([0.5, 1, 0, 0])
    f1 = np.mean([0.5, 0.8, 0, 0])
    assert m["accuracy"] == 0.5
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((prec, rec, f1))
    assert "auc" not in m


def test_regression_metrics_and_task_inference():
    y, p = [1.5, 2.0, 3.25, 10.0], [1.0, 2.5, 3.0, 12.0]
    m = window_of(y, p).metrics()
    err = np.subtract(p, y)
    assert m["mae"] == pytest.approx(np.mean(np.abs(err)))
    assert m["rmse"] == pytest.approx(math.sqrt(np.mean(err**2)))
    assert window_of([1, 2], [1, 3]).infer_task() == "classification"
    assert window_of(list(range(30)), list(range(30))).infer_task() == "regression"
    assert window_of([1, 2], [1, 3], task="regression").metrics()["mae"] == 0.5


def test_coverage_and_latency():
    w = window_of([1, 0], [1, 1])
    w.add_prediction(8)
    m = w.metrics()
    assert m["label.coverage"] == 0.25 and m["label.latency_s"] == 5.0


# ---- DecayDetector ---------------------------------------------------------------------------

def stream(rng, n: int, accuracy: float) -> list[dict]:
    y = rng.integers(0, 2, n)
    correct = rng.random(n) < accuracy
    return [{"label": int(a), "prediction": int(a if c else 1 - a)}
            for a, c in zip(y, correct, strict=True)]


def run_windows(detector, pairs, size):
    """Check every ``size`` labels; yield (labels so far, check result)."""
    window = AccuracyWindow()
    for i, pair in enumerate(pairs, 1):
        detector.update(pair)
        window.add(pair)
        if window.n == size:
            yield i, detector.check(window.metrics(), window.n)
            window = AccuracyWindow()


def test_decay_detected_within_one_window_of_200_labels():
    rng = np.random.default_rng(42)
    detector = DecayDetector()
    for pair in stream(rng, 1000, 0.9):  # auto reference: the first 1000 labels
        detector.update(pair)
    assert detector.check()["decay"] is False
    results = list(run_windows(detector, stream(rng, 2000, 0.7), 200))
    first_decay = next(i for i, r in results if r["decay"])
    first_adwin = next(i for i, r in results if r["adwin_drift"])
    assert first_decay == 200 and first_adwin == 200  # both inside the first window
    r = results[0][1]
    assert r["reference"] == pytest.approx(0.9, abs=0.02) and r["current"] < 0.8
    assert r["p_value"] < 1e-4 and r["n"] == 200


def test_no_decay_on_a_stable_stream_of_50000_labels():
    rng = np.random.default_rng(7)
    detector = DecayDetector()
    pairs = stream(rng, 51_000, 0.9)
    results = [r for _, r in run_windows(detector, pairs, 200)]
    assert len(results) == 255
    assert sum(r["decay"] for r in results) == 0
    assert sum(r["adwin_drift"] for r in results) == 0
    assert min(r["p_value"] for r in results if r["p_value"] is not None) > 0.01


def test_min_labels_and_explicit_reference():
    detector = DecayDetector(min_labels=200)
    detector.set_reference({"accuracy": 0.9}, 5000)
    small = detector.check({"accuracy": 0.5, "n": 100}, 100)
    assert small["decay"] is False and small["p_value"] is None and small["current"] == 0.5
    assert detector.check({"accuracy": 0.8}, 300)["decay"] is True
    assert detector.check({"accuracy": 0.88}, 300)["decay"] is False  # drop < min_effect


def test_regression_decay_on_mae():
    rng = np.random.default_rng(3)
    detector = DecayDetector(metric="mae")
    detector.set_reference({"mae": 1.0, "rmse": math.sqrt(1.0 + 0.5)}, 2000)
    for scale in (1.0, 1.6):
        err = np.abs(rng.normal(0, scale * 1.25, 400))
        w = window_of(list(np.zeros(400)), list(err), task="regression")
        result = detector.check(w.metrics(), w.n)
        assert result["decay"] is (scale > 1.0)


def test_decay_detector_pickles_and_rejects_bad_parameters():
    detector = DecayDetector(reference_size=10)
    for pair in stream(np.random.default_rng(0), 50, 0.9):
        detector.update(pair)
    clone = pickle.loads(pickle.dumps(detector))
    assert clone.check() == detector.check()
    with pytest.raises(ValueError):
        DecayDetector(metric="auc")
