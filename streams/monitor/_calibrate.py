"""Noise-aware drift thresholds for streaming windows.

A distance between a window of ``n`` events and the reference is never zero, even when nothing
changed: with many categories and small windows, Jensen-Shannon or PSI from sampling noise
alone can exceed the method's fixed default (e.g. ~0.14 for 100 uniform categories in 1,000
events, against a 0.1 threshold), and every window would alarm. So, once per reference
profile, each column is bootstrapped: ``draws`` windows of ``n`` values are sampled from the
reference itself and compared with it; the threshold becomes
``max(method default, margin × 95th percentile of those noise distances)``. P-value methods
(ks, chisquare) already account for sample size and keep their thresholds; a threshold set in
the configuration always wins. Deterministic (seeded), so replays agree.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from detectors.drift import (
    METHODS,
    CategoricalProfile,
    NumericProfile,
    ReferenceProfile,
    column_drift,
)

__all__ = ["calibrated_thresholds"]


def _sample(col: Any, n: int, rng: np.random.Generator) -> Any:
    if isinstance(col, CategoricalProfile):
        counts = np.asarray(col.counts, dtype=np.float64)
        picks = rng.choice(len(col.categories), size=n, p=counts / counts.sum())
        return [col.categories[i] for i in picks]
    assert isinstance(col, NumericProfile)
    counts = np.asarray(col.counts, dtype=np.float64)
    return rng.choice(col.values, size=n, p=counts / counts.sum())


def calibrated_thresholds(profile: ReferenceProfile, n: int, per_column: dict[str, dict],
                          seed: str, draws: int = 20, margin: float = 1.5) -> dict[str, dict]:
    """``{column: {"threshold": t}}`` for the columns whose noise floor needs a higher one."""
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    out: dict[str, dict] = {}
    for name, col in profile.columns.items():
        opts = per_column.get(name, {})
        if "threshold" in opts or col.n == 0:
            continue
        method = METHODS[opts.get("method") or col.default_method]
        if method.is_pvalue:
            continue
        noise = [column_drift(col, _sample(col, n, rng), method.name).statistic
                 for _ in range(draws)]
        floor = float(np.nanpercentile(noise, 95)) * margin
        if floor > method.threshold:
            out[name] = {"threshold": round(floor, 4)}
    return out
