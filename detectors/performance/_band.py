"""The alert band of an estimated metric, learnt on labelled reference windows (NannyML's rule).

NannyML's CBPE alerts when a chunk's estimate leaves ``mean ± 3 std`` of the *realised* metric
over the reference chunks (``StandardDeviationThreshold(3, 3)``, ``np.std``). Here the reference
windows are the first ``max_windows`` drift windows of a model version whose labels arrived
(:class:`PerformanceBand` is fed their realised metrics); the band exists once ``min_windows``
are in and stays fixed after ``max_windows``. Only the lower bound alerts: a drop.

>>> band = PerformanceBand(min_windows=3, max_windows=4)
>>> for value in (0.90, 0.92, 0.91):
...     _ = band.add({"accuracy": value})
>>> round(band.lower("accuracy"), 4), band.lower("auc")
(0.8855, None)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PerformanceBand"]


class PerformanceBand:
    """Per metric: realised values of up to ``max_windows`` reference windows; see the module
    docstring. State: at most ``max_windows`` floats per metric."""

    def __init__(self, min_windows: int = 5, max_windows: int = 10, width: float = 3.0) -> None:
        if not 2 <= min_windows <= max_windows or width <= 0:
            raise ValueError("need 2 <= min_windows <= max_windows and width > 0")
        self.min_windows, self.max_windows, self.width = min_windows, max_windows, width
        self.values: dict[str, list[float]] = {}
        self.windows = 0

    @property
    def complete(self) -> bool:
        """True once ``max_windows`` windows were added (later ones are ignored)."""
        return self.windows >= self.max_windows

    def add(self, realised: dict[str, float]) -> bool:
        """Add one reference window's realised metrics; False when the band is complete."""
        if self.complete:
            return False
        self.windows += 1
        for metric, value in realised.items():
            self.values.setdefault(metric, []).append(float(value))
        return True

    def bounds(self, metric: str) -> tuple[float, float] | None:
        """(lower, upper) = mean ± width × std, clipped to [0, 1]; None before min_windows."""
        values = self.values.get(metric, [])
        if len(values) < self.min_windows:
            return None
        mean, std = float(np.mean(values)), float(np.std(values))
        return max(mean - self.width * std, 0.0), min(mean + self.width * std, 1.0)

    def lower(self, metric: str) -> float | None:
        bounds = self.bounds(metric)
        return None if bounds is None else bounds[0]

    def to_state(self) -> dict[str, Any]:
        return {"version": 1, "min_windows": self.min_windows, "max_windows": self.max_windows,
                "width": self.width, "windows": self.windows,
                "values": {k: list(v) for k, v in self.values.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PerformanceBand:
        out = cls(int(state["min_windows"]), int(state["max_windows"]), float(state["width"]))
        out.windows = int(state["windows"])
        out.values = {k: [float(x) for x in v] for k, v in state["values"].items()}
        return out
