"""Change detection across windows: River detectors fed one summary value per window.

A window comparison says whether *this* window differs from the reference; a change detector
says whether the sequence of windows changed. ``WindowChange`` keeps one detector per key
(a feature, or a feature's drift statistic), cloned from a prototype, and feeds it each
window's summary. Any River drift detector fits unchanged (``update(x)``,
``drift_detected``, ``clone()``); after an alarm River resets the detector itself.

The default prototype is ``river.drift.ADWIN(clock=1)``: River's default ``clock=32`` checks
for a change every 32 values, fine per event but up to 32 windows late here. River is imported
only when that default is built (``river.drift`` pulls in pandas and scikit-learn, ~1 s).

>>> import random
>>> from river import drift
>>> rng = random.Random(7)  # window means of one feature; the mean moves 40 -> 41 at window 60
>>> means = [rng.gauss(40.0, 0.3) for _ in range(60)] + [rng.gauss(41.0, 0.3) for _ in range(40)]
>>> adwin, ph = WindowChange(), WindowChange(drift.PageHinkley(min_instances=10, threshold=5))
>>> for i, m in enumerate(means):
...     if adwin.update({"age": m}).drift_detected:
...         print("ADWIN", i, adwin.drifted)
...     if ph.update({"age": m}).drift_detected:
...         print("PageHinkley", i, ph.drifted)
PageHinkley 65 ('age',)
ADWIN 82 ('age',)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._riverstate import detector_from_state, detector_to_state
from ._coerce import numeric_array
from ._methods import NUMERIC
from ._profile import ReferenceProfile


class WindowChange:
    """One change detector per key, each fed one value per window.

    ``detector`` is a prototype River drift detector (default ``ADWIN(clock=1)``), cloned
    for every new key. ``update`` skips None/NaN values; ``drifted`` lists the keys whose
    detector fired on the last update, ``drift_detected`` is True when any did. Picklable.
    """

    def __init__(self, detector: Any = None) -> None:
        if detector is None:
            from river.drift import ADWIN

            detector = ADWIN(clock=1)
        prototype = detector
        for attr in ("update", "clone"):
            if not callable(getattr(prototype, attr, None)):
                raise TypeError(f"detector must have update() and clone(); got {prototype!r}")
        self.detector = prototype
        self.detectors: dict[str, Any] = {}
        self.drifted: tuple[str, ...] = ()

    def update(self, summaries: Mapping[str, float | None]) -> WindowChange:
        """Feed one window's summary per key; returns self."""
        fired = []
        for key, value in summaries.items():
            if value is None or value != value:
                continue
            det = self.detectors.get(key)
            if det is None:
                det = self.detectors[key] = self.detector.clone()
            det.update(float(value))
            if det.drift_detected:
                fired.append(key)
        self.drifted = tuple(fired)
        return self

    @property
    def drift_detected(self) -> bool:
        """Whether any key's detector fired on the last update."""
        return bool(self.drifted)

    def to_state(self) -> dict[str, Any]:
        """Plain data: each key's detector in River's own serial form (``_riverstate``); about
        1.4 KB per ADWIN key."""
        return {"detectors": {k: detector_to_state(d) for k, d in self.detectors.items()},
                "drifted": list(self.drifted)}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], detector: Any = None) -> WindowChange:
        """Rebuild from :meth:`to_state`; ``detector`` is the prototype, as in the
        constructor. A key whose saved detector cannot be loaded here starts fresh."""
        out = cls(detector)
        for key, saved in state["detectors"].items():
            loaded = detector_from_state(saved)
            out.detectors[key] = loaded if loaded is not None else out.detector.clone()
        out.drifted = tuple(state["drifted"])
        return out


def window_means(
    profile: ReferenceProfile, current: Mapping[str, Sequence | np.ndarray]
) -> dict[str, float]:
    """Mean of the finite values of each numeric profile column in ``current`` (NaN if none)."""
    names = [n for n, col in profile.columns.items() if col.kind == NUMERIC and n in current]
    arrays = [numeric_array(name, current[name]) for name in names]
    return {name: _finite_mean(arr) if total is None else total / arr.size
            for name, arr, total in zip(names, arrays, _sums(arrays), strict=True)}


def _sums(arrays: list[np.ndarray]) -> list[float | None]:
    """Each array's sum when all have one size, as the rows of one 2-D array (a row reduction
    is numpy's pairwise sum over the same contiguous values: bit for bit the 1-D ``sum``).

    None for an array whose sum is not finite (a NaN or inf in it, or overflow), and for every
    array when the sizes differ: the caller then takes the finite values one array at a time.
    """
    if not arrays or arrays[0].size == 0 or len({a.size for a in arrays}) > 1:
        return [None] * len(arrays)
    with np.errstate(over="ignore", invalid="ignore"):  # such a row is redone by the caller
        sums = np.add.reduce(np.array(arrays), axis=1)
    return [s if math.isfinite(s) else None for s in sums.tolist()]


def _finite_mean(arr: np.ndarray) -> float:
    finite = arr[np.isfinite(arr)]
    return float(finite.mean()) if finite.size else float("nan")


def window_statistics(result: Mapping) -> dict[str, float]:
    """Per-column drift statistic of a :func:`compare` result."""
    return {name: float(col["statistic"]) for name, col in result["columns"].items()}
