"""Data drift for streaming windows: Evidently's statistics against a prebuilt reference profile.

Build a :class:`ReferenceProfile` once from the reference columns, then compare each window
with :func:`compare` (all columns) or :func:`column_drift` (one column). Statistics, default
thresholds, binning, zero-bin filling and verdict rules are Evidently 0.7's stattests
(``psi``, ``jensenshannon``, ``wasserstein``, ``ks``, ``chisquare``); see ``METHODS``.

Defaults: numeric -> ``wasserstein`` (distance / std of reference, drift when >= 0.1; with
5 or fewer distinct reference values -> ``jensenshannon``), categorical -> ``jensenshannon``
(drift when >= 0.1). This is what Evidently picks for references above 1,000 rows, used here
for every size: p-value tests (ks, chisquare) get ever smaller p-values as windows grow and
alarm on harmless shifts, and one fixed method keeps ``drift.<method>`` stable per feature.

Column kinds follow Evidently's inference (floats numeric; ints numeric above 10 distinct
values, else categorical; bools and strings categorical) unless given. Missing values
(None, NaN, and +/-inf for numbers) and values the reference never showed are reported as
``missing_share`` and ``unseen_share`` next to the statistic, which uses non-missing values.

A :class:`MeanShiftBurst` scans feature means over the last few hops of predictions, for a
fast alarm when most features shift at once.

:class:`WindowChange` feeds per-window summaries (:func:`window_means`,
:func:`window_statistics`) into River change detectors (ADWIN, PageHinkley) to tell when the
sequence of windows shifts.
"""

from ._burst import MeanShiftBurst
from ._change import WindowChange, window_means, window_statistics
from ._compare import ColumnDrift, column_drift, compare
from ._methods import CATEGORICAL, METHODS, NUMERIC, Method, allowed_methods
from ._profile import CategoricalProfile, ColumnProfile, NumericProfile, ReferenceProfile

__all__ = [
    "CATEGORICAL",
    "METHODS",
    "NUMERIC",
    "CategoricalProfile",
    "ColumnDrift",
    "ColumnProfile",
    "MeanShiftBurst",
    "Method",
    "NumericProfile",
    "ReferenceProfile",
    "WindowChange",
    "allowed_methods",
    "column_drift",
    "compare",
    "window_means",
    "window_statistics",
]
