"""Accuracy decay: a drop against the reference period's metric, plus ADWIN on the error stream."""

from __future__ import annotations

from river.drift import ADWIN

from detectors.rollback import mean_increase_p, proportion_increase_p

from .._riverstate import detector_from_state, detector_to_state
from ._metrics import canonical

__all__ = ["DecayDetector"]


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
        self.adwin_delta = adwin_delta
        self._adwin = ADWIN(delta=adwin_delta)
        self._adwin_drift = False

    def to_state(self) -> dict:
        """Plain data (constant size: moments, the reference and ADWIN's buckets)."""
        return {"metric": self.metric, "min_labels": self.min_labels, "alpha": self.alpha,
                "min_effect": self.min_effect, "reference_size": self.reference_size,
                "adwin_delta": self.adwin_delta,
                "reference": list(self.reference) if self.reference else None,
                "building": list(self._building), "current": list(self._current),
                "adwin": detector_to_state(self._adwin), "adwin_drift": self._adwin_drift}

    @classmethod
    def from_state(cls, state: dict) -> DecayDetector:
        out = cls(state["metric"], state["min_labels"], state["alpha"], state["min_effect"],
                  state["reference_size"], state["adwin_delta"])
        ref = state["reference"]
        out.reference = (float(ref[0]), float(ref[1]), int(ref[2])) if ref else None
        out._building, out._current = list(state["building"]), list(state["current"])
        out._adwin = detector_from_state(state["adwin"]) or out._adwin
        out._adwin_drift = bool(state["adwin_drift"])
        return out

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
