"""A model version's reference profile from columns a user posts (or a file the CLI reads).

The profile is built the way the monitor builds its own from the first predictions: columns of
mostly numbers are numeric (stray strings count as missing), anything else is text
categories; a ``prediction`` column is the monitor's prediction column. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from detectors.drift import ReferenceProfile
from streams.monitor import PREDICTION_COLUMN
from streams.monitor._model import _coerce_columns

__all__ = ["build_profile"]


def build_profile(columns: dict[str, list[Any]]) -> ReferenceProfile:
    """The reference profile of ``columns`` ({name: [values]}); raises ValueError saying why
    a profile cannot be built (e.g. a column without values)."""
    cols = {PREDICTION_COLUMN if k == "prediction" else k: v for k, v in columns.items()}
    try:
        return ReferenceProfile.from_columns(_coerce_columns(cols))
    except ValueError as exc:
        raise ValueError(f"cannot build a reference profile: {exc}") from exc
