"""Delayed-label accuracy: the label join, per-window metrics and the decay detector.

Pure and event-time driven; the Faust worker and ``tripwire replay`` share these classes.

``LabelJoin`` keys predictions and labels by ``prediction_id`` (events of ``tripwire_sdk``
schema v1: ``prediction_id``, ``prediction`` / ``label``, ``ts``, optional ``score`` (probability
of the positive class, or a ``{class: probability}`` dict), ``model``, ``model_version``).

``AccuracyWindow`` metrics, sklearn conventions (zero division gives 0):

* task: ``"classification"`` when any value is a str or bool, or when all values are integral
  numbers with at most ``max_classes`` distinct values; otherwise ``"regression"``. Pass
  ``task=`` to override (e.g. integer counts that are a regression target).
* class values are compared canonically: bools and integral numbers as ints, then as text, so
  ``True``, ``1``, ``1.0`` and ``"1"`` are one class.
* binary (<= 2 classes): ``positive=`` if given, else the class spelled 1 / true / yes /
  positive / pos, else the minority label class. Multiclass: macro averages over the classes in
  labels and predictions. ``logloss`` and ``auc`` need scores and a binary task.
* ``label.coverage`` = joined pairs / predictions counted with ``add_prediction``;
  ``label.latency_s`` = median of label ts - prediction ts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from river.drift import ADWIN

from detectors.rollback import mean_increase_p, proportion_increase_p

__all__ = ["AccuracyWindow", "DecayDetector", "LabelJoin"]

_POSITIVE = ("1", "true", "yes", "positive", "pos")
_COUNTERS = ("predictions", "labels", "joined", "label_before_prediction", "duplicate_label",
             "duplicate_prediction", "missing_id", "label_too_late", "unknown_expired",
             "predictions_unlabeled_expired", "evicted_overflow")


class LabelJoin:
    """Joins labels to predictions by ``prediction_id`` in either order, with an event-time TTL.

    A label is joined only if ``label ts - prediction ts <= ttl_s`` (so results do not depend on
    when ``expire`` runs). Entries expire in arrival order: ``expire`` pops from the oldest
    arrival and stops at the first entry still inside the TTL. Beyond ``max_pending`` entries per
    table the oldest are evicted and counted.
    """

    def __init__(self, ttl_s: float = 7 * 86400, max_pending: int = 1_000_000):
        if ttl_s <= 0 or max_pending < 1:
            raise ValueError("ttl_s must be > 0 and max_pending >= 1")
        self.ttl_s, self.max_pending = float(ttl_s), max_pending
        self._predictions: dict[str, dict] = {}
        self._labels: dict[str, dict] = {}
        self._joined: dict[str, float] = {}  # id -> prediction ts, for duplicate labels
        self.counters = dict.fromkeys(_COUNTERS, 0)

    def add_prediction(self, event: dict) -> dict | None:
        """Hold a prediction; return the joined pair if its label was already waiting."""
        self.counters["predictions"] += 1
        pid = event.get("prediction_id")
        if pid is None:
            self.counters["missing_id"] += 1
            return None
        if pid in self._predictions or pid in self._joined:
            self.counters["duplicate_prediction"] += 1
            return None
        label = self._labels.pop(pid, None)
        if label is not None:
            self.counters["label_before_prediction"] += 1
            return self._join(pid, event, label)
        self._put(self._predictions, pid, event)
        return None

    def add_label(self, event: dict) -> dict | None:
        """Return the joined pair, or None (label held until its prediction arrives)."""
        self.counters["labels"] += 1
        pid = event.get("prediction_id")
        if pid is None:
            self.counters["missing_id"] += 1
            return None
        if pid in self._joined or pid in self._labels:
            self.counters["duplicate_label"] += 1
            return None
        prediction = self._predictions.pop(pid, None)
        if prediction is None:
            self._put(self._labels, pid, event)
            return None
        return self._join(pid, prediction, event)

    def _join(self, pid: str, prediction: dict, label: dict) -> dict | None:
        ts_pred, ts_label = float(prediction["ts"]), float(label["ts"])
        if ts_label - ts_pred > self.ttl_s:
            self.counters["label_too_late"] += 1
            return None
        self._put(self._joined, pid, ts_pred)
        self.counters["joined"] += 1
        return {"prediction_id": pid, "model": prediction.get("model"),
                "model_version": prediction.get("model_version"),
                "prediction": prediction.get("prediction"), "label": label.get("label"),
                "score": prediction.get("score"), "ts_pred": ts_pred, "ts_label": ts_label,
                "latency_s": ts_label - ts_pred}

    def _put(self, table: dict, pid: str, value) -> None:
        table[pid] = value
        if len(table) > self.max_pending:
            del table[next(iter(table))]
            self.counters["evicted_overflow"] += 1

    def hold(self, event: dict) -> None:
        """Hold a prediction restored from storage (not counted again as a new prediction)."""
        pid = event.get("prediction_id")
        if pid is not None and pid not in self._joined:
            self._put(self._predictions, pid, event)

    def without_pending(self) -> LabelJoin:
        """A copy with the counters but none of the held entries (for compact snapshots; the
        pending predictions are restored from the store with :meth:`hold`)."""
        clone = LabelJoin(self.ttl_s, self.max_pending)
        clone.counters = dict(self.counters)
        return clone

    def expire(self, now_ts: float) -> int:
        """Drop entries older than the TTL at event time ``now_ts``; return how many."""
        cutoff = now_ts - self.ttl_s
        dropped = _pop_older(self._predictions, cutoff, lambda e: e["ts"])
        self.counters["predictions_unlabeled_expired"] += dropped
        unknown = _pop_older(self._labels, cutoff, lambda e: e["ts"])
        self.counters["unknown_expired"] += unknown
        _pop_older(self._joined, cutoff, float)
        return dropped + unknown

    @property
    def pending(self) -> dict[str, int]:
        return {"predictions": len(self._predictions), "labels": len(self._labels)}


def _pop_older(table: dict, cutoff: float, ts_of) -> int:
    count = 0
    while table:
        pid = next(iter(table))
        if float(ts_of(table[pid])) >= cutoff:
            break
        del table[pid]
        count += 1
    return count


def canonical(value) -> str:
    """One spelling per class: bools and integral numbers as ints, then text."""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, int | float | np.integer | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


class AccuracyWindow:
    """Metrics over one window of joined pairs (see the module docstring for the rules)."""

    def __init__(self, task: str | None = None, positive=None, max_classes: int = 20):
        if task not in (None, "classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', not {task!r}")
        self.task, self.max_classes = task, max_classes
        self.positive = None if positive is None else canonical(positive)
        self.y_true: list = []
        self.y_pred: list = []
        self.scores: list = []
        self.latencies: list[float] = []
        self.predictions = 0

    def add(self, pair: dict) -> None:
        self.y_true.append(pair["label"])
        self.y_pred.append(pair["prediction"])
        self.scores.append(pair.get("score"))
        if pair.get("latency_s") is not None:
            self.latencies.append(float(pair["latency_s"]))

    def add_prediction(self, count: int = 1) -> None:
        """Count predictions made in this window (the denominator of ``label.coverage``)."""
        self.predictions += count

    @property
    def n(self) -> int:
        return len(self.y_true)

    def infer_task(self) -> str:
        if self.task:
            return self.task
        values = self.y_true + self.y_pred
        if any(isinstance(v, str | bool) for v in values):
            return "classification"
        integral = all(float(v).is_integer() for v in values)
        few = len({canonical(v) for v in values}) <= self.max_classes
        return "classification" if integral and few else "regression"

    def metrics(self) -> dict:
        out: dict = {"n": self.n}
        if self.predictions:
            out["label.coverage"] = self.n / self.predictions
        if self.latencies:
            out["label.latency_s"] = float(np.median(self.latencies))
        if not self.n:
            return out
        if self.infer_task() == "regression":
            err = np.asarray(self.y_pred, float) - np.asarray(self.y_true, float)
            out.update(mae=float(np.mean(np.abs(err))), rmse=float(np.sqrt(np.mean(err**2))))
            return out
        out.update(self._classification())
        return out

    def _classification(self) -> dict:
        yt = [canonical(v) for v in self.y_true]
        yp = [canonical(v) for v in self.y_pred]
        classes = sorted(set(yt) | set(yp))
        out = {"accuracy": sum(a == b for a, b in zip(yt, yp, strict=True)) / len(yt)}
        if len(classes) <= 2:
            pos = self._positive(yt, classes)
            out.update(zip(("precision", "recall", "f1"), _prf(yt, yp, pos), strict=True))
            out.update(self._score_metrics(yt, pos))
        else:
            prf = np.array([_prf(yt, yp, c) for c in classes])
            out.update(zip(("precision", "recall", "f1"), prf.mean(axis=0).tolist(), strict=True))
        return out

    def _positive(self, yt: list[str], classes: list[str]) -> str:
        if self.positive is not None:
            return self.positive
        for c in classes:
            if c.lower() in _POSITIVE:
                return c
        return min(reversed(classes), key=yt.count)  # minority class; ties: the last sorted

    def _score_metrics(self, yt: list[str], pos: str) -> dict:
        scores = [_positive_score(s, pos) for s in self.scores]
        if any(s is None for s in scores):
            return {}
        p = np.clip(np.asarray(scores, float), 1e-15, 1 - 1e-15)
        y = np.asarray([c == pos for c in yt], float)
        out = {"logloss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))}
        if 0 < y.sum() < len(y):
            out["auc"] = _auc(y, p)
        return out


def _positive_score(score, pos: str) -> float | None:
    if isinstance(score, dict):
        found = {canonical(k): v for k, v in score.items()}.get(pos)
        return None if found is None else float(found)
    return None if score is None else float(score)


def _prf(yt: Iterable[str], yp: Iterable[str], c: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of class ``c`` (0 where undefined, as sklearn)."""
    pairs = list(zip(yt, yp, strict=True))
    tp = sum(a == c and b == c for a, b in pairs)
    fp = sum(a != c and b == c for a, b in pairs)
    fn = sum(a == c and b != c for a, b in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return precision, recall, f1


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney U statistic with average ranks for ties."""
    values, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    starts = np.cumsum(counts) - counts
    ranks = (starts + (counts + 1) / 2.0)[inverse]
    n_pos = y.sum()
    n_neg = len(y) - n_pos
    u = ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg)) if not math.isnan(u) else float("nan")


class DecayDetector:
    """Significant accuracy drop (or MAE rise) against a reference period, plus ADWIN.

    * ``metric="accuracy"``: one-sided two-proportion z-test (Agresti-Caffo) of
      H0: error_rate_now - error_rate_ref <= ``min_effect`` (default 0.03 absolute accuracy);
    * ``metric="mae"``: one-sided Welch t-test of H0: mae_now <= (1 + ``min_effect``) * mae_ref
      (default 10 % relative), the spread of absolute errors from ``rmse**2 - mae**2``.

    ``decay`` needs ``n >= min_labels`` and p < ``alpha``; the margin keeps repeated checks of a
    stable stream quiet. The reference is given with ``set_reference`` or else taken from the
    first ``reference_size`` labels fed to ``update``. ``update`` also feeds the per-event error
    (0/1, or absolute error) to river's ADWIN; ``adwin_drift`` reports an error *increase* it
    detected since the previous ``check``.

    >>> import random
    >>> rng = random.Random(1)
    >>> detector = DecayDetector(reference_size=500)
    >>> found = []
    >>> for i in range(1, 2001):  # accuracy 0.9, then 0.7 from label 1001; check every 250
    ...     correct = rng.random() < (0.9 if i <= 1000 else 0.7)
    ...     _ = detector.update({"label": 1, "prediction": int(correct)})
    ...     if i % 250 == 0 and detector.check()["decay"]:
    ...         found.append(i)
    >>> found
    [1250, 1500, 1750, 2000]
    """

    def __init__(self, metric: str = "accuracy", min_labels: int = 200, alpha: float = 0.01,
                 min_effect: float | None = None, reference_size: int = 1000,
                 adwin_delta: float = 0.002):
        if metric not in ("accuracy", "mae"):
            raise ValueError(f"metric must be 'accuracy' or 'mae', not {metric!r}")
        if min_labels < 2 or not 0 < alpha < 1 or reference_size < 2:
            raise ValueError("need min_labels >= 2, 0 < alpha < 1, reference_size >= 2")
        self.metric, self.min_labels, self.alpha = metric, min_labels, alpha
        self.min_effect = min_effect if min_effect is not None else (
            0.03 if metric == "accuracy" else 0.10)
        self.reference_size = reference_size
        self.reference: tuple[float, float, int] | None = None  # (mean error, variance, n)
        self._building = [0, 0.0, 0.0]  # auto reference: n, sum, sum of squares
        self._current = [0, 0.0, 0.0]  # updates since the last check
        self._adwin = ADWIN(delta=adwin_delta)
        self._adwin_drift = False

    def set_reference(self, metrics: dict, n: int) -> None:
        """Reference from window metrics (``accuracy``, or ``mae`` and ``rmse``) over n labels."""
        self.reference = (*self._error_stats(metrics), int(n))

    def _error_stats(self, metrics: dict) -> tuple[float, float]:
        if self.metric == "accuracy":
            err = 1.0 - float(metrics["accuracy"])
            return err, err * (1.0 - err)
        mae, rmse = float(metrics["mae"]), float(metrics["rmse"])
        return mae, max(rmse * rmse - mae * mae, 0.0)

    def update(self, pair: dict) -> bool:
        """Feed one joined pair; return True when ADWIN saw the error rate rise."""
        if self.metric == "accuracy":
            error = float(canonical(pair["prediction"]) != canonical(pair["label"]))
        else:
            error = abs(float(pair["prediction"]) - float(pair["label"]))
        target = self._building if self.reference is None else self._current
        target[0] += 1
        target[1] += error
        target[2] += error * error
        if self.reference is None and self._building[0] >= self.reference_size:
            self.reference = _moments(self._building)
        before = self._adwin.estimation
        self._adwin.update(error)
        rose = self._adwin.drift_detected and self._adwin.estimation > before
        self._adwin_drift |= rose
        return rose

    def check(self, window_metrics: dict | None = None, n: int | None = None) -> dict:
        """Test a window (its metrics and label count), or else the updates since last check."""
        if window_metrics is None:
            current = _moments(self._current) if self._current[0] else None
        else:
            current = (*self._error_stats(window_metrics), int(n or window_metrics.get("n", 0)))
        self._current = [0, 0.0, 0.0]
        adwin, self._adwin_drift = self._adwin_drift, False
        out: dict = {"decay": False, "reference": None, "current": None, "p_value": None,
                     "adwin_drift": adwin, "n": current[2] if current else 0}
        if self.reference is None or current is None:
            return out
        out["reference"], out["current"] = self._value(self.reference), self._value(current)
        if current[2] >= self.min_labels:
            p_value = self._p_value(current, self.reference)
            out["p_value"], out["decay"] = p_value, p_value < self.alpha
        return out

    def _value(self, stats: tuple[float, float, int]) -> float:
        return 1.0 - stats[0] if self.metric == "accuracy" else stats[0]

    def _p_value(self, cur: tuple[float, float, int], ref: tuple[float, float, int]) -> float:
        if self.metric == "accuracy":
            k1, k0 = round(cur[0] * cur[2]), round(ref[0] * ref[2])
            return proportion_increase_p(k1, cur[2], k0, ref[2], self.min_effect)
        return mean_increase_p(cur[0], cur[1], cur[2], ref[0], ref[1], ref[2],
                               ratio=1.0 + self.min_effect)


def _moments(acc: list) -> tuple[float, float, int]:
    n, total, squares = acc
    mean = total / n
    return mean, max((squares - n * mean * mean) / max(n - 1, 1), 0.0), int(n)
