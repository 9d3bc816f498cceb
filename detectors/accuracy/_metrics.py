"""Per-window model-quality metrics of joined (prediction, label) pairs; see the package doc."""

from __future__ import annotations

import math
from itertools import starmap
from operator import and_, eq

import numpy as np

__all__ = ["AccuracyWindow", "canonical"]

_POSITIVE = ("1", "true", "yes", "positive", "pos")


_EXACT_INT = 1 << 53  # ints within this float() exactly: str(int(float(v))) == str(v)


def canonical(value) -> str:
    """One spelling per class: bools and integral numbers as ints, then text."""
    kind = type(value)  # fast paths for the JSON types; the same strings as the checks below
    if kind is str:
        return value
    if kind is int and -_EXACT_INT <= value <= _EXACT_INT:
        return str(value)
    if kind is float:
        return str(int(value)) if value.is_integer() else str(value)
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

    def to_state(self) -> dict:
        """Plain data: the window's pairs (bounded by the window size of its owner)."""
        return {"task": self.task, "positive": self.positive, "max_classes": self.max_classes,
                "y_true": list(self.y_true), "y_pred": list(self.y_pred),
                "scores": list(self.scores), "latencies": list(self.latencies),
                "predictions": self.predictions}

    @classmethod
    def from_state(cls, state: dict) -> AccuracyWindow:
        out = cls(task=state["task"], max_classes=state["max_classes"])
        out.positive = state["positive"]
        out.y_true, out.y_pred = list(state["y_true"]), list(state["y_pred"])
        out.scores, out.latencies = list(state["scores"]), list(state["latencies"])
        out.predictions = state["predictions"]
        return out

    def infer_task(self) -> str:
        if self.task:
            return self.task
        values = self.y_true + self.y_pred
        # isinstance(v, str | bool) of any value, asked once per type present (C-speed maps)
        if any(issubclass(kind, str | bool) for kind in set(map(type, values))):
            return "classification"
        integral = all(map(float.is_integer, map(float, values)))
        few = len(set(map(canonical, values))) <= self.max_classes
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
        yt = list(map(canonical, self.y_true))
        yp = list(map(canonical, self.y_pred))
        classes = sorted(set(yt) | set(yp))
        out = {"accuracy": sum(starmap(eq, zip(yt, yp, strict=True))) / len(yt)}
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
        if set(map(type, self.scores)) == {float}:  # float(s) is s: nothing to convert
            scores = self.scores
        else:
            scores = [_positive_score(s, pos) for s in self.scores]
            if any(s is None for s in scores):
                return {}
        p = np.clip(np.asarray(scores, float), 1e-15, 1 - 1e-15)
        y = np.asarray(list(map(pos.__eq__, yt)), float)
        out = {"logloss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))}
        if 0 < y.sum() < len(y):
            out["auc"] = _auc(y, p)
        return out


def _positive_score(score, pos: str) -> float | None:
    if isinstance(score, dict):
        found = {canonical(k): v for k, v in score.items()}.get(pos)
        return None if found is None else float(found)
    return None if score is None else float(score)


def _prf(yt: list[str], yp: list[str], c: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of class ``c`` (0 where undefined, as sklearn)."""
    # class values are canonical strings: c.__eq__ answers True or False for each
    true_c, pred_c = list(map(c.__eq__, yt)), list(map(c.__eq__, yp))
    if len(true_c) != len(pred_c):
        raise ValueError("yt and yp differ in length")
    tp = sum(map(and_, true_c, pred_c))
    fp = sum(pred_c) - tp
    fn = sum(true_c) - tp
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
