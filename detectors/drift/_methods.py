"""Drift methods: names, the column kinds they accept, default thresholds and verdict rules.

Every entry mirrors the Evidently 0.7 stattest of the same name
(``evidently/legacy/calculations/stattests/*.py``):

=============  ======================  =========  ==================================
method         kinds                   threshold  drift when
=============  ======================  =========  ==================================
wasserstein    numeric                 0.1        distance / std(reference) >= thr
psi            numeric, categorical    0.1        PSI >= thr
jensenshannon  numeric, categorical    0.1        JS distance (natural log) >= thr
ks             numeric                 0.05       p-value <= thr  (Evidently uses <=)
chisquare      categorical             0.05       p-value <  thr
=============  ======================  =========  ==================================

Defaults (``method=None``) follow Evidently's rule for references of more than 1,000 rows:
numeric -> ``wasserstein`` (``jensenshannon`` when the reference holds 5 distinct values or
fewer), categorical -> ``jensenshannon``. Tripwire uses this rule for every reference size,
where Evidently switches to p-value tests (KS, chi-square, z) at 1,000 rows or fewer: p-values
shrink with the window size, so on large streaming windows they flag tiny, harmless shifts,
and a fixed choice keeps the metric name ``drift.<method>`` of a feature stable across windows.
The <=5 distinct values rule is decided once from the reference (Evidently counts the distinct
values of reference and current together).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

NUMERIC = "numeric"
CATEGORICAL = "categorical"
KINDS = (NUMERIC, CATEGORICAL)


@dataclass(frozen=True)
class Method:
    """A drift method: which kinds it accepts, its default threshold and its verdict rule."""

    name: str
    kinds: tuple[str, ...]
    threshold: float
    is_pvalue: bool
    strict: bool  # p-value methods: True -> p < thr, False -> p <= thr

    def drifted(self, statistic: float, threshold: float) -> bool:
        """Evidently's verdict for this method; NaN never drifts."""
        if statistic != statistic:
            return False
        if not self.is_pvalue:
            return bool(statistic >= threshold)
        return bool(statistic < threshold) if self.strict else bool(statistic <= threshold)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("wasserstein", (NUMERIC,), 0.1, False, False),
        Method("psi", (NUMERIC, CATEGORICAL), 0.1, False, False),
        Method("jensenshannon", (NUMERIC, CATEGORICAL), 0.1, False, False),
        Method("ks", (NUMERIC,), 0.05, True, False),
        Method("chisquare", (CATEGORICAL,), 0.05, True, True),
    )
}


def allowed_methods(kind: str) -> list[str]:
    """Names of the methods valid for ``kind``."""
    return [name for name, m in METHODS.items() if kind in m.kinds]


def resolve_method(column: str, kind: str, method: str | None, default: str) -> Method:
    """The method to use for ``column``; ``None`` means the column's default.

    Raises ValueError naming the column, the method and the allowed ones.
    """
    name = default if method is None else method
    spec = METHODS.get(name) if isinstance(name, str) else None
    if spec is None or kind not in spec.kinds:
        allowed = ", ".join(allowed_methods(kind))
        raise ValueError(
            f"column {column!r} ({kind}): drift method {name!r} is not valid; allowed: {allowed}"
        )
    return spec


def resolve_threshold(column: str, spec: Method, threshold: float | None) -> float:
    """``threshold`` or the method's default; rejects non-finite or negative values."""
    if threshold is None:
        return spec.threshold
    if isinstance(threshold, bool) or not isinstance(threshold, Real):
        raise ValueError(f"column {column!r}: threshold must be a number, got {threshold!r}")
    value = float(threshold)
    if not (value >= 0.0 and value != float("inf")):
        raise ValueError(f"column {column!r}: threshold must be finite and >= 0, got {value}")
    if spec.is_pvalue and value > 1.0:
        raise ValueError(f"column {column!r}: p-value threshold must be <= 1, got {value}")
    return value


def default_method(kind: str, n_unique: int) -> str:
    """Evidently's large-reference default for a column of ``kind``."""
    if kind == NUMERIC and n_unique > 5:
        return "wasserstein"
    return "jensenshannon"
