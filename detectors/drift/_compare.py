"""Comparing a current window with a reference profile: one column, or all of them.

Per column, missing values (and +/-inf in numeric columns) are left out of the statistic and
reported as ``missing_share`` (over all rows of the window). ``unseen_share`` is the share of
the non-missing current values the reference never showed: categories absent from it, or
numbers outside its [min, max]. Unseen values still enter the statistic, as in Evidently.

A window with rows but no non-missing value gives ``statistic`` NaN, ``drifted`` False and
``missing_share`` 1.0 (Evidently raises); such columns are left out of the dataset share.
A window with no rows at all raises ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from numbers import Real

import numpy as np

from . import _stats
from ._coerce import category_counts, numeric_array
from ._methods import resolve_method, resolve_threshold
from ._profile import CategoricalProfile, ColumnProfile, NumericProfile, ReferenceProfile


@dataclass(frozen=True)
class ColumnDrift:
    """The drift verdict for one column and one window."""

    column: str
    kind: str
    method: str
    statistic: float  # distance, or p-value for ks / chisquare
    threshold: float
    drifted: bool
    missing_share: float
    unseen_share: float
    n: int  # non-missing current values the statistic used

    def to_dict(self) -> dict:
        """Plain dict of all fields."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def column_drift(
    profile: ColumnProfile,
    current: Sequence | np.ndarray,
    method: str | None = None,
    threshold: float | None = None,
) -> ColumnDrift:
    """Drift of one current column against its reference profile.

    ``method`` None picks ``profile.default_method``; ``threshold`` None the method's default.
    Raises ValueError for a method not valid for the column's kind, a bad threshold, an empty
    window, or a non-numeric value in a numeric column.
    """
    return ColumnDrift(column=profile.name, **_verdict(profile, current, method, threshold))


def _verdict(
    profile: ColumnProfile, current: Sequence | np.ndarray, method: str | None,
    threshold: float | None,
) -> dict:
    """:func:`column_drift`'s fields after ``column``, in order, as a dict (``compare``'s entry)."""
    spec = resolve_method(profile.name, profile.kind, method, profile.default_method)
    thr = resolve_threshold(profile.name, spec, threshold)
    if isinstance(profile, NumericProfile):
        stat, missing, unseen, n = _numeric(profile, current, spec.name)
    elif isinstance(profile, CategoricalProfile):
        stat, missing, unseen, n = _categorical(profile, current, spec.name)
    else:
        raise TypeError(f"not a column profile: {type(profile).__name__}")
    return {"kind": profile.kind, "method": spec.name, "statistic": stat, "threshold": thr,
            "drifted": spec.drifted(stat, thr), "missing_share": missing,
            "unseen_share": unseen, "n": n}


def _empty(name: str) -> ValueError:
    return ValueError(f"column {name!r}: the current window has no rows")


def _numeric(p: NumericProfile, current, method: str) -> tuple[float, float, float, int]:
    raw = numeric_array(p.name, current)
    if raw.size == 0:
        raise _empty(p.name)
    cur = np.sort(raw[np.isfinite(raw)])
    n = int(cur.size)
    missing = 1.0 - n / raw.size
    if n == 0:
        return float("nan"), missing, 0.0, 0
    outside = cur.searchsorted(p.min, "left") + n - cur.searchsorted(p.max, "right")
    return _numeric_stat(p, cur, method), missing, int(outside) / n, n


def _numeric_stat(p: NumericProfile, cur: np.ndarray, method: str) -> float:
    if method == "wasserstein":
        return _stats.wasserstein_norm(p.values, p.cum, p.std, cur, p.cdf)
    if method == "ks":
        return _stats.ks_pvalue(p.values, p.cum, p.n, cur, p.cdf)
    if p.n_unique > _stats.BINNED_MIN_UNIQUE:
        ref, now = _stats.binned_percents(p.values, p.cum, p.min, p.max, p.n, cur)
    else:
        ref, now = _stats.value_percents(p.values, p.counts, cur)
    return _stats.psi(ref, now) if method == "psi" else _stats.jensenshannon(ref, now)


def _categorical(p: CategoricalProfile, current, method: str) -> tuple[float, float, float, int]:
    counts, n_missing = category_counts(p.name, current)
    n = sum(counts.values())
    if n + n_missing == 0:
        raise _empty(p.name)
    missing = n_missing / (n + n_missing)
    if n == 0:
        return float("nan"), missing, 0.0, 0
    new = [k for c, k in counts.items() if c not in p.index]  # counts of unseen categories
    ref = np.concatenate([p.counts, np.zeros(len(new), dtype=np.int64)])
    now = np.array([counts.get(c, 0) for c in p.categories] + new, dtype=np.int64)
    if method == "chisquare":
        stat = _stats.chisquare_pvalue(ref, now)
    else:
        fn = _stats.psi if method == "psi" else _stats.jensenshannon
        stat = fn(ref / p.n, now / n)
    return stat, missing, sum(new) / n, n


def compare(
    reference: Mapping[str, Sequence | np.ndarray] | ReferenceProfile,
    current: Mapping[str, Sequence | np.ndarray],
    method: str | None = None,
    per_column: Mapping[str, Mapping] | None = None,
    drift_share: float = 0.5,
    threshold: float | None = None,
    kinds: Mapping[str, str] | None = None,
) -> dict:
    """Drift of every reference column; ``{"columns": {...}, "dataset_drifted": bool}``.

    ``reference`` is a prebuilt profile or raw columns (profiled here, with ``kinds``).
    ``method``/``threshold`` apply to all columns; ``per_column[name]`` may override them with
    keys "method" and "threshold". Each column entry holds method, statistic, threshold,
    drifted, kind, missing_share, unseen_share and n. ``dataset_drifted`` is Evidently's
    DataDriftPreset rule: drifted columns / evaluated columns >= ``drift_share``. Columns in
    ``current`` but not in the reference are ignored; a reference column absent from
    ``current`` raises ValueError.
    """
    profile = (
        reference
        if isinstance(reference, ReferenceProfile)
        else ReferenceProfile.from_columns(reference, kinds)
    )
    overrides = _check_overrides(profile, per_column, drift_share)
    results = {}
    for name, col in profile.columns.items():
        if name not in current:
            raise ValueError(f"column {name!r} is in the reference but not in the current window")
        opts = overrides.get(name, {})
        results[name] = _verdict(
            col, current[name], opts.get("method", method), opts.get("threshold", threshold)
        )
    evaluated = [r for r in results.values() if r["n"] > 0]
    n_drifted = sum(r["drifted"] for r in evaluated)
    drifted = bool(evaluated) and n_drifted / len(evaluated) >= drift_share
    return {"columns": results, "dataset_drifted": drifted}


def _check_overrides(
    profile: ReferenceProfile, per_column: Mapping[str, Mapping] | None, drift_share: float
) -> Mapping[str, Mapping]:
    ok_share = isinstance(drift_share, Real) and not isinstance(drift_share, bool)
    if not ok_share or not 0.0 < float(drift_share) <= 1.0:
        raise ValueError(f"drift_share must be a number in (0, 1], got {drift_share!r}")
    per_column = per_column or {}
    for name, opts in per_column.items():
        if name not in profile.columns:
            raise ValueError(f"per_column names {name!r}, which is not a reference column")
        bad = set(opts) - {"method", "threshold"}
        if bad:
            raise ValueError(f"per_column[{name!r}]: unknown keys {sorted(bad)}")
    return per_column
