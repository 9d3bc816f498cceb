"""Fast alarm on a broad covariate shift: a multi-scale z-scan of feature means.

Drift windows (``window_events`` predictions, 2 bad windows for an alert) take 1.6-1.9
windows to call even a clear shift of most features. :class:`MeanShiftBurst` looks every
``hop`` predictions (a quarter of a window in the monitor) at the mean of each numeric feature
over the last 1, 2, ... ``scales`` hops, as a z-score against the reference
(``(mean - ref mean) / (ref std * sqrt(1 / n + 1 / n_ref))``: the reference mean is itself an
estimate from ``n_ref`` values). A feature has *burst* at a scale when
``|z| >= z`` (default 5: a 3e-7 two-sided tail per feature and scale on an unchanged i.i.d.
stream); the value is the largest share of burst features at any one scale, and the threshold
is ``max(share, min_features / features)`` — most features at once, and at least three.
With a 2,000-event reference, the longest scale (1,000 events) sees shifts of ~0.2 reference
std, the shortest reacts to large ones within one hop.

>>> import numpy as np
>>> rng = np.random.default_rng(3)
>>> burst = MeanShiftBurst(["a", "b", "c", "d"], [0.0] * 4, [1.0] * 4, [2000] * 4, hop=250)
>>> for hop in range(8):   # all four features move by 0.5 std from hop 4 on
...     rows = [{k: rng.normal(0.5 if hop >= 4 else 0.0) for k in "abcd"} for _ in range(250)]
...     print(hop, burst.update(rows)[0])
0 0.0
1 0.0
2 0.0
3 0.0
4 1.0
5 1.0
6 1.0
7 1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._methods import NUMERIC
from ._profile import ReferenceProfile

__all__ = ["MeanShiftBurst"]

_MIN_COUNT = 30  # values of a feature needed at a scale before its z-score counts


def _matrix(rows: Sequence[dict[str, Any]], names: list[str]) -> np.ndarray:
    """rows x names floats; None, missing keys and non-numbers are NaN."""
    table = [list(map(row.get, names)) for row in rows]
    try:
        return np.asarray(table, dtype=np.float64).reshape(len(rows), len(names))
    except (TypeError, ValueError):
        return np.asarray([[v if isinstance(v, int | float) and not isinstance(v, bool)
                            else None for v in line] for line in table],
                          dtype=np.float64).reshape(len(rows), len(names))


class MeanShiftBurst:
    """See the module docstring. State: two ``scales`` x features arrays, a cursor, a count."""

    def __init__(self, names: Sequence[str], means: Sequence[float], stds: Sequence[float],
                 ref_counts: Sequence[int], hop: int, scales: int = 4, z: float = 5.0,
                 min_features: int = 3,
                 share: float = 0.5) -> None:
        if hop < 1 or scales < 1 or z <= 0 or min_features < 1 or not 0 < share <= 1:
            raise ValueError("need hop >= 1, scales >= 1, z > 0, min_features >= 1, "
                             "0 < share <= 1")
        keep = [i for i, s in enumerate(stds) if s > 0]
        self.names = [str(names[i]) for i in keep]
        self.means = np.asarray([means[i] for i in keep], dtype=np.float64)
        self.stds = np.asarray([stds[i] for i in keep], dtype=np.float64)
        self.ref_counts = np.asarray([ref_counts[i] for i in keep], dtype=np.float64)
        self.hop, self.scales, self.z = hop, scales, z
        self.min_features, self.share = min_features, share
        self.sums = np.zeros((scales, len(self.names)))
        self.counts = np.zeros((scales, len(self.names)))
        self.starts = np.zeros(scales)  # event time each hop started
        self.last_end: float | None = None
        self.cursor = 0
        self.filled = 0

    @classmethod
    def from_profile(cls, profile: ReferenceProfile, hop: int, skip: Sequence[str] = (),
                     **kwargs: Any) -> MeanShiftBurst:
        """The numeric columns of a reference profile, except ``skip``."""
        cols = [c for name, c in profile.columns.items()
                if c.kind == NUMERIC and name not in skip and c.n > 0]
        return cls([c.name for c in cols], [c.mean for c in cols],  # type: ignore[attr-defined]
                   [c.std for c in cols], [c.n for c in cols], hop,  # type: ignore[attr-defined]
                   **kwargs)

    @property
    def usable(self) -> bool:
        """False when there are fewer numeric features than ``min_features``."""
        return len(self.names) >= self.min_features

    def update(self, rows: Sequence[dict[str, Any]], start: float = 0.0,
               end: float = 0.0) -> tuple[float, float, list[str], float]:
        """Feed one hop of feature rows that ended at event time ``end`` (``start``: when it
        began, used for the first hop; later hops start where the previous one ended).
        Returns (value, threshold, burst feature names, start of the scale that burst most)."""
        return self.update_matrix(_matrix(rows, self.names), start, end)

    def update_matrix(self, values: np.ndarray, start: float = 0.0,
                      end: float = 0.0) -> tuple[float, float, list[str], float]:
        """:meth:`update` with the hop already as a rows x ``names`` float matrix (NaN =
        missing)."""
        slot = self.cursor
        self.starts[slot] = start if self.last_end is None else self.last_end
        self.last_end = end
        finite = np.isfinite(values)
        self.sums[slot] = np.where(finite, values, 0.0).sum(axis=0)
        self.counts[slot] = finite.sum(axis=0)
        self.cursor = (slot + 1) % self.scales
        self.filled = min(self.filled + 1, self.scales)
        order = [(slot - k) % self.scales for k in range(self.filled)]
        sums, counts = np.cumsum(self.sums[order], axis=0), np.cumsum(self.counts[order], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (sums / counts - self.means) / (
                self.stds * np.sqrt(1.0 / counts + 1.0 / self.ref_counts))
        burst = (np.abs(z) >= self.z) & (counts >= _MIN_COUNT)
        evaluated = max(int((counts[-1] >= _MIN_COUNT).sum()), 1)
        best = int(np.argmax(burst.sum(axis=1)))
        value = float(burst[best].sum()) / evaluated
        threshold = max(self.share, self.min_features / evaluated)
        names = [n for n, b in zip(self.names, burst[best], strict=True) if b]
        return value, threshold, names, float(self.starts[order[best]])

    def to_state(self) -> dict[str, Any]:
        return {"version": 1, "names": list(self.names), "means": self.means.copy(),
                "stds": self.stds.copy(), "ref_counts": self.ref_counts.copy(), "hop": self.hop,
                "scales": self.scales, "z": self.z,
                "min_features": self.min_features, "share": self.share,
                "sums": self.sums.copy(), "counts": self.counts.copy(), "cursor": self.cursor,
                "filled": self.filled, "starts": self.starts.copy(), "last_end": self.last_end}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MeanShiftBurst:
        out = cls(state["names"], list(state["means"]), list(state["stds"]),
                  list(state["ref_counts"]), int(state["hop"]),
                  int(state["scales"]), float(state["z"]), int(state["min_features"]),
                  float(state["share"]))
        out.sums = np.asarray(state["sums"], dtype=np.float64).copy()
        out.counts = np.asarray(state["counts"], dtype=np.float64).copy()
        out.cursor, out.filled = int(state["cursor"]), int(state["filled"])
        out.starts = np.asarray(state["starts"], dtype=np.float64).copy()
        out.last_end = None if state["last_end"] is None else float(state["last_end"])
        return out
