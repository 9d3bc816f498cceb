"""Score calibration on labelled predictions: isotonic regression over binned scores.

:class:`ScoreCalibration` counts joined (score, label) pairs of one model version in
``bins`` score bins, equally wide in logit (so scores near 0 or 1 keep their resolution), and
fits an isotonic (pool-adjacent-violators) regression of the label on the bins' mean scores,
weighted by their counts. ``calibrate`` interpolates it linearly between the bins' mean scores
and clips outside them, as scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``, which
NannyML's CBPE uses. Bins make the state constant in size whatever the number of labels (three
float arrays of ``bins``, 24 KiB by default), so every label of the version counts; with
scores rounded to a few decimals (one bin per distinct score) the fit is the exact isotonic one.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> scores = rng.uniform(0, 1, 20_000)
>>> labels = rng.uniform(0, 1, 20_000) < scores ** 2   # scores overstate P(y=1)
>>> cal = ScoreCalibration()
>>> cal.add(scores, labels)
>>> cal.fit()
True
>>> [round(float(p), 2) for p in cal.calibrate(np.array([0.3, 0.5, 0.9]))]
[0.09, 0.24, 0.83]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ScoreCalibration", "pav"]

_LOGIT_RANGE = 16.0  # bins cover logit(score) in [-16, 16]; beyond, the end bins
_EPS = 1e-12


def _logit(scores: np.ndarray) -> np.ndarray:
    p = np.clip(scores, _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def pav(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted isotonic (non-decreasing) fit of ``y`` in the given order."""
    values: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for yi, wi in zip(y.tolist(), w.tolist(), strict=True):
        values.append(yi)
        weights.append(wi)
        sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            v, wt, sz = values.pop(), weights.pop(), sizes.pop()
            total = weights[-1] + wt
            values[-1] = (values[-1] * weights[-1] + v * wt) / total
            weights[-1] = total
            sizes[-1] += sz
    return np.repeat(np.asarray(values), sizes)


class ScoreCalibration:
    """Binned isotonic calibration of P(label = 1 | score); see the module docstring.

    State: ``count``, ``positive``, ``score_sum`` (float arrays of ``bins``), the fitted curve
    ``xs``/``ys`` (at most ``bins`` points each) and ``labels_at_fit``. Bounded: O(bins).
    """

    def __init__(self, bins: int = 1024) -> None:
        if bins < 2:
            raise ValueError(f"bins must be >= 2, got {bins}")
        self.bins = bins
        self.count = np.zeros(bins)
        self.positive = np.zeros(bins)
        self.score_sum = np.zeros(bins)
        self.xs = np.empty(0)
        self.ys = np.empty(0)
        self.labels_at_fit = 0

    @property
    def labels(self) -> int:
        return int(self.count.sum())

    @property
    def fitted(self) -> bool:
        return self.xs.size > 0

    def _bin(self, scores: np.ndarray) -> np.ndarray:
        unit = (_logit(scores) + _LOGIT_RANGE) / (2 * _LOGIT_RANGE)
        return np.clip((unit * self.bins).astype(np.int64), 0, self.bins - 1)

    def add(self, scores: np.ndarray, labels: np.ndarray) -> None:
        """Count labelled scores (``labels`` 0/1 or bool, same length as ``scores``)."""
        scores = np.asarray(scores, dtype=np.float64)
        index = self._bin(scores)
        self.count += np.bincount(index, minlength=self.bins)
        self.positive += np.bincount(index, weights=np.asarray(labels, np.float64),
                                     minlength=self.bins)
        self.score_sum += np.bincount(index, weights=scores, minlength=self.bins)

    def fit(self) -> bool:
        """Refit the curve on every counted label; False when no label was counted."""
        seen = self.count > 0
        if not seen.any():
            return False
        n = self.count[seen]
        self.xs = self.score_sum[seen] / n
        self.ys = pav(self.positive[seen] / n, n)
        self.labels_at_fit = self.labels
        return True

    def calibrate(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated P(label = 1) of each score (raises when not fitted yet)."""
        if not self.fitted:
            raise ValueError("ScoreCalibration is not fitted: add labelled scores, then fit()")
        return np.interp(np.asarray(scores, dtype=np.float64), self.xs, self.ys)

    def to_state(self) -> dict[str, Any]:
        return {"version": 1, "bins": self.bins, "count": self.count.copy(),
                "positive": self.positive.copy(), "score_sum": self.score_sum.copy(),
                "xs": self.xs.copy(), "ys": self.ys.copy(), "labels_at_fit": self.labels_at_fit}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ScoreCalibration:
        out = cls(bins=int(state["bins"]))
        for name in ("count", "positive", "score_sum", "xs", "ys"):
            setattr(out, name, np.asarray(state[name], dtype=np.float64).copy())
        out.labels_at_fit = int(state["labels_at_fit"])
        return out
