"""Streaming CBPE for one model version: calibration, per-window estimates, band, errors.

:class:`PerformanceEstimator` is fed the version's predictions (their ``score``, in window
order), the drift windows as they close, and the joined (prediction, label) pairs. It

* calibrates P(label = 1 | score) on every labelled pair of the version
  (:class:`~detectors.performance.ScoreCalibration`), first once ``min_labels`` are in, again
  whenever their number grew by ``refit_growth`` (25 %) since the last fit (checked at each
  window close, so a window is always judged with the labels seen before it closed);
* estimates ``accuracy``, ``precision``, ``recall``, ``f1`` and ``auc`` of every closing
  window (:func:`~detectors.performance.estimate`) from its scores and predicted classes;
* keeps each closed window pending until its labels arrive (matched by prediction time), for at
  most ``pending_windows`` windows; a window settles when ``settle_share`` of its predictions
  are labelled, or when it leaves the pending list with at least half of them labelled. Its
  realised metrics then feed the alert band (:class:`~detectors.performance.PerformanceBand`,
  the first windows with labels are the reference) and, when it had an estimate, give the
  estimate's error (estimated - realised);
* counts the consecutive windows with any estimate below its band (``estimated.sustained``).

Binary classification only: ``score`` is P(positive) or a ``{class: probability}`` mapping
with a positive class; classes are positive when spelled 1 / true / yes / positive / pos and
negative when 0 / false / no / negative / neg; other rows are left out. Outputs are
``(metric, value, threshold, n, window_start, window_end, ts)`` tuples.

State (plain data, :meth:`to_state`): the calibration bins (O(bins)), the open window's scores
(<= one window), labels not yet counted (< ``max_buffer``), <= ``pending_windows`` pending
windows with their labelled (score, label) pairs (<= one window each), the band values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._band import PerformanceBand
from ._calibration import ScoreCalibration
from ._cbpe import ESTIMATED_METRICS, auc_expected, confusion_metrics, estimate

__all__ = ["PerformanceEstimator", "binary_class", "positive_score"]

Output = tuple[str, float, float | None, int, float, float, float]
_POSITIVE = frozenset(("1", "true", "yes", "positive", "pos"))
_NEGATIVE = frozenset(("0", "false", "no", "negative", "neg"))


def binary_class(value: Any) -> int:
    """1 for a positive class spelling, 0 for a negative one, -1 otherwise."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return 1 if value == 1 else 0 if value == 0 else -1
    if isinstance(value, str):
        text = value.strip().lower()
        return 1 if text in _POSITIVE else 0 if text in _NEGATIVE else -1
    return -1


def _class(value: Any) -> int:
    """:func:`binary_class` with a fast path for the ints 0 and 1."""
    return value if type(value) is int and 0 <= value <= 1 else binary_class(value)


def positive_score(score: Any) -> float | None:
    """P(positive) of a score: a number in [0, 1], or the positive entry of a mapping."""
    if isinstance(score, dict):
        score = next((v for k, v in score.items() if binary_class(k) == 1), None)
    if isinstance(score, int | float) and not isinstance(score, bool) and 0.0 <= score <= 1.0:
        return float(score)
    return None


def _record(start: float | None, end: float | None, n: int,
            estimated: dict[str, float] | None) -> dict[str, Any]:
    return {"start": start, "end": end, "n": n, "estimated": estimated, "labelled": 0,
            "counts": [0, 0, 0, 0], "scores": [], "labels": []}  # counts: tp, fp, fn, tn


def _window_arrays(scores: list[Any], predictions: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(scores, predicted positive) of the rows with a usable score and a binary prediction."""
    try:
        s = np.asarray(scores, dtype=np.float64)
        p = np.asarray(predictions, dtype=np.float64)
        ok = np.isfinite(s) & (s >= 0) & (s <= 1) & ((p == 0) | (p == 1))
        return s[ok], p[ok] == 1
    except (TypeError, ValueError):
        pairs = [(positive_score(s), binary_class(p)) for s, p in zip(scores, predictions,
                                                                     strict=False)]
        kept = [(s, p) for s, p in pairs if s is not None and p >= 0]
        return (np.asarray([s for s, _ in kept], dtype=np.float64),
                np.asarray([p == 1 for _, p in kept], dtype=bool))


class PerformanceEstimator:
    """See the module docstring."""

    def __init__(self, min_labels: int = 2000, refit_growth: float = 0.25,
                 pending_windows: int = 24, settle_share: float = 0.95, band_min: int = 5,
                 band_max: int = 10, sustain_windows: int = 2, bins: int = 1024,
                 max_buffer: int = 20_000) -> None:
        if min_labels < 10 or refit_growth <= 0 or pending_windows < 1:
            raise ValueError("need min_labels >= 10, refit_growth > 0, pending_windows >= 1")
        if not 0 < settle_share <= 1 or sustain_windows < 1:
            raise ValueError("need 0 < settle_share <= 1 and sustain_windows >= 1")
        self.min_labels, self.refit_growth = min_labels, refit_growth
        self.pending_windows, self.settle_share = pending_windows, settle_share
        self.sustain_windows, self.max_buffer = sustain_windows, max_buffer
        self.calibration = ScoreCalibration(bins)
        self.band = PerformanceBand(band_min, band_max)
        self.scores: list[Any] = []  # open window, one entry per prediction
        self.open = _record(None, None, 0, None)
        self.pending: list[dict[str, Any]] = []
        self.buffer: tuple[list[float], list[int]] = ([], [])  # labelled scores not yet counted
        self.streak = 0
        self.arrived = 0  # labelled scores since the last window closed

    # -- predictions and windows ----------------------------------------------------------
    def add_prediction(self, score: Any, ts: float) -> None:
        """One prediction of the open window (``score`` as sent, may be None)."""
        self.scores.append(score)
        if self.open["start"] is None:
            self.open["start"] = ts

    def add_predictions(self, scores: list[Any], first_ts: float) -> None:
        """:meth:`add_prediction` for many predictions (``first_ts``: the first one's ts)."""
        self.scores.extend(scores)
        if self.open["start"] is None:
            self.open["start"] = first_ts

    def close_window(self, predictions: list[Any], start: float, end: float) -> list[Output]:
        """The open window closes (``predictions`` in the order their scores were added)."""
        scores, self.scores = self.scores, []
        self._refit(len(predictions))
        s, positive = _window_arrays(scores, predictions[-len(scores):] if scores else [])
        estimated = None
        out: list[Output] = []
        if s.size and self.calibration.fitted:
            estimated = estimate(self.calibration.calibrate(s), s, positive)
            out = self._estimate_outputs(estimated, int(s.size), start, end)
        record, self.open = self.open, _record(None, None, 0, None)
        record.update(start=start, end=end, n=len(predictions), estimated=estimated)
        self.pending.append(record)
        out += self._settle_if_labelled(record, end)
        if len(self.pending) > self.pending_windows:
            oldest = self.pending.pop(0)
            if oldest["labelled"] and oldest["labelled"] >= 0.5 * oldest["n"]:
                out += self._settle(oldest, end)
        return out

    def _estimate_outputs(self, estimated: dict[str, float], n: int, start: float,
                          end: float) -> list[Output]:
        out: list[Output] = []
        below = banded = False
        for metric in ESTIMATED_METRICS:
            if metric in estimated:
                lower = self.band.lower(metric)
                banded |= lower is not None
                below |= lower is not None and estimated[metric] < lower
                out.append((f"estimated.{metric}", estimated[metric], lower, n, start, end, end))
        if banded:
            self.streak = self.streak + 1 if below else 0
            out.append(("estimated.sustained", float(self.streak), float(self.sustain_windows),
                        n, start, end, end))
        return out

    def _refit(self, window: int = 0) -> None:
        """Count buffered labels; refit when they grew by ``refit_growth``, or by 1 % while
        labels come slower than half a window per window (so they have stopped or trickle:
        the estimate then uses all of them, and refits stay rare)."""
        scores, labels = self.buffer
        if scores:
            self.calibration.add(np.asarray(scores), np.asarray(labels))
            self.buffer = ([], [])
        cal, arrived, self.arrived = self.calibration, self.arrived, 0
        since = cal.labels - cal.labels_at_fit
        slow = window > 0 and arrived < 0.5 * window and since >= 0.01 * cal.labels_at_fit
        if cal.labels >= self.min_labels and (not cal.fitted or slow
                                              or since >= self.refit_growth * cal.labels_at_fit):
            cal.fit()

    # -- labels ---------------------------------------------------------------------------
    def add_label(self, pair: dict[str, Any]) -> list[Output]:
        """One joined pair (``score``, ``prediction``, ``label``, ``ts_pred``, ``ts_label``)."""
        label, score = _class(pair.get("label")), pair.get("score")
        if type(score) is not float or not 0.0 <= score <= 1.0:
            score = positive_score(score)
        if score is not None and label >= 0:
            self.buffer[0].append(score)
            self.buffer[1].append(label)
            self.arrived += 1
            if len(self.buffer[0]) >= self.max_buffer:
                self._refit()
        predicted = _class(pair.get("prediction"))
        if label < 0 or predicted < 0:
            return []
        ts = pair["ts_pred"]
        found: dict[str, Any] | None = self.open
        start = self.open["start"]
        if start is None or ts < start or (self.pending and ts <= self.pending[-1]["end"]):
            found = self._route(ts)
        if found is None:
            return []
        record = found
        record["counts"][(1 - predicted) * 2 + 1 - label] += 1
        record["labelled"] += 1
        if score is not None:
            record["scores"].append(score)
            record["labels"].append(label)
        if record is self.open or record["labelled"] < self.settle_share * record["n"]:
            return []
        return self._settle_if_labelled(record, float(pair["ts_label"]))

    def _route(self, ts: float) -> dict[str, Any] | None:
        """The open or pending window that holds the prediction made at ``ts``."""
        start = self.open["start"]
        if start is not None and ts >= start and (not self.pending
                                                  or ts > self.pending[-1]["end"]):
            return self.open
        for record in reversed(self.pending):
            if record["start"] <= ts <= record["end"]:
                return record
        return None

    def _settle_if_labelled(self, record: dict[str, Any], ts: float) -> list[Output]:
        at = next((i for i, r in enumerate(self.pending) if r is record), None)
        if at is None or record["labelled"] < self.settle_share * record["n"]:
            return []
        del self.pending[at]
        return self._settle(record, ts)

    def _settle(self, record: dict[str, Any], ts: float) -> list[Output]:
        realised: dict[str, float] = confusion_metrics(*record["counts"])
        if record["scores"]:
            auc = auc_expected(np.asarray(record["scores"]),
                               np.asarray(record["labels"], dtype=np.float64))
            if auc is not None:
                realised["auc"] = auc
        self.band.add(realised)
        estimated = record["estimated"] or {}
        return [(f"estimate_error.{m}", estimated[m] - realised[m], None, record["labelled"],
                 record["start"],
                 record["end"], max(ts, record["end"]))
                for m in ESTIMATED_METRICS if m in estimated and m in realised]

    # -- state ----------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {"version": 1, "min_labels": self.min_labels, "refit_growth": self.refit_growth,
                "pending_windows": self.pending_windows, "settle_share": self.settle_share,
                "sustain_windows": self.sustain_windows, "max_buffer": self.max_buffer,
                "calibration": self.calibration.to_state(), "band": self.band.to_state(),
                "scores": list(self.scores), "open": _copy(self.open),
                "pending": [_copy(r) for r in self.pending],
                "buffer": [list(self.buffer[0]), list(self.buffer[1])], "streak": self.streak,
                "arrived": self.arrived}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PerformanceEstimator:
        out = cls(min_labels=int(state["min_labels"]), refit_growth=float(state["refit_growth"]),
                  pending_windows=int(state["pending_windows"]),
                  settle_share=float(state["settle_share"]),
                  sustain_windows=int(state["sustain_windows"]),
                  max_buffer=int(state["max_buffer"]))
        out.calibration = ScoreCalibration.from_state(state["calibration"])
        out.band = PerformanceBand.from_state(state["band"])
        out.scores = list(state["scores"])
        out.open = _copy(state["open"])
        out.pending = [_copy(r) for r in state["pending"]]
        out.buffer = (list(state["buffer"][0]), list(state["buffer"][1]))
        out.streak, out.arrived = int(state["streak"]), int(state["arrived"])
        return out


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out["scores"], out["labels"] = list(record["scores"]), list(record["labels"])
    out["counts"] = list(record["counts"])
    out["estimated"] = dict(record["estimated"]) if record["estimated"] else None
    return out
