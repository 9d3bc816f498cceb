"""Turning raw column values into arrays and counts; missing values and kind inference.

Missing means ``None``, NaN (any float type), and anything that is not equal to itself or
cannot be compared (``pandas.NA``, ``NaT``). In numeric columns +/-inf is missing too:
Evidently replaces +/-inf with NaN and drops it before every statistic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from ._methods import CATEGORICAL, NUMERIC

INTEGER_CARDINALITY_LIMIT = 10  # evidently.core.datasets: int columns with <= 10 values are cat


def is_missing(value: Any) -> bool:
    """True for None, NaN and values that are not equal to themselves (pd.NA, NaT)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def _as_list(values: Sequence | np.ndarray) -> list:
    tolist = getattr(values, "tolist", None)
    return tolist() if callable(tolist) else list(values)


def numeric_array(column: str, values: Sequence | np.ndarray) -> np.ndarray:
    """Values as a 1-d float64 array; missing values become NaN.

    Raises ValueError naming the column when a value is not a number.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        items = _as_list(values)
        try:
            arr = np.array([np.nan if is_missing(v) else v for v in items], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"column {column!r} is numeric but holds a non-numeric value ({exc})"
            ) from None
    if arr.ndim != 1:
        raise ValueError(f"column {column!r}: expected a 1-d sequence, got shape {arr.shape}")
    return arr


def category_counts(column: str, values: Sequence | np.ndarray) -> tuple[Counter, int]:
    """(counts of non-missing categories, number of missing values)."""
    try:
        counts = Counter(_as_list(values))
    except TypeError as exc:
        raise ValueError(f"column {column!r}: categories must be hashable ({exc})") from None
    missing = [key for key in counts if is_missing(key)]
    n_missing = sum(counts.pop(key) for key in missing)
    return counts, n_missing


def infer_kind(column: str, values: Sequence | np.ndarray) -> str:
    """Evidently 0.7's rule (``evidently.core.datasets.infer_column_type``) on value types.

    Floats -> numeric; integers -> numeric when they take more than 10 distinct values, else
    categorical; bools, strings and anything else -> categorical. Evidently looks at the pandas
    dtype, so an int column with missing values (float64 in pandas) is numeric there; here it
    stays an int column. Pass ``kinds`` explicitly to override.
    """
    arr = _try_array(values)
    if arr is not None and arr.dtype.kind in "fiub":
        present = arr[~np.isnan(arr)] if arr.dtype.kind == "f" else arr
        if present.size == 0:
            raise ValueError(f"column {column!r}: no non-missing reference values")
        return _kind_of_numbers(arr.dtype.kind, present)
    if arr is not None and arr.dtype.kind in "US":
        return CATEGORICAL
    present = [v for v in _as_list(values) if not is_missing(v)]
    if not present:
        raise ValueError(f"column {column!r}: no non-missing reference values")
    types = set(map(type, present))
    if any(issubclass(t, (bool, np.bool_)) or not issubclass(t, Real) for t in types):
        return CATEGORICAL
    if all(issubclass(t, Integral) for t in types):
        return _kind_of_numbers("i", np.asarray(present))
    return NUMERIC


def _try_array(values: Sequence | np.ndarray) -> np.ndarray | None:
    """``values`` as a 1-d numpy array when numpy infers a plain dtype, else None."""
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        return None
    return arr if arr.ndim == 1 else None


def _kind_of_numbers(dtype_kind: str, present: np.ndarray) -> str:
    if dtype_kind == "b":
        return CATEGORICAL
    if dtype_kind == "f":
        return NUMERIC
    return NUMERIC if np.unique(present).size > INTEGER_CARDINALITY_LIMIT else CATEGORICAL
