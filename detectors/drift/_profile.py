"""Reference profiles: everything a window comparison needs, built once from the reference.

A numeric column keeps its reference as a weighted empirical distribution (sorted values and
cumulative counts). With at most ``max_sample`` distinct values these are the exact distinct
values and counts, so every statistic equals Evidently's. Otherwise it is a deterministic
compression to ``max_sample`` points: both tails (``max_sample // 10`` values each) kept
as they are, the middle cut into equal blocks kept as block medians with their sizes; the
reference CDF stays exact at every block boundary (measured on 100k-row lognormal
references: every statistic within 0.4% of Evidently on the full data). Mean, std, min, max,
row counts and the number of distinct values always come from the full reference.
A categorical column keeps the count of every category. Missing values (see ``_coerce``)
are counted, never profiled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ._coerce import category_counts, infer_kind, numeric_array
from ._methods import CATEGORICAL, KINDS, NUMERIC, default_method
from ._stats import sturges_edges

MAX_SAMPLE = 10_000


@dataclass(frozen=True, eq=False)
class ColumnProfile:
    """What the reference says about one column.

    ``n`` counts non-missing reference values, ``missing_share`` the missing ones over all
    rows; ``default_method`` is the method used when none is asked for.
    """

    name: str
    n: int
    missing_share: float
    default_method: str
    kind: str = field(init=False, default="")


@dataclass(frozen=True, eq=False)
class NumericProfile(ColumnProfile):
    """Numeric reference: weighted sorted support, moments, range, display histogram."""

    mean: float = 0.0
    std: float = 0.0  # population std (ddof=0), as Evidently's np.std(reference)
    min: float = 0.0
    max: float = 0.0
    n_unique: int = 0
    exact: bool = True  # True when values/cum_counts are the whole reference
    values: np.ndarray = field(default_factory=lambda: np.empty(0))  # sorted support
    cum_counts: np.ndarray | None = None  # [0, cumsum(counts)]; None: every count is 1
    edges: np.ndarray = field(default_factory=lambda: np.empty(0))  # Sturges, reference only
    hist: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    kind: str = field(init=False, default=NUMERIC)

    @property
    def cum(self) -> np.ndarray:
        """Cumulative counts of ``values`` with a leading 0 (length ``values.size + 1``)."""
        if self.cum_counts is None:
            return np.arange(self.values.size + 1)
        return self.cum_counts

    @property
    def counts(self) -> np.ndarray:
        """Count of each value in ``values``."""
        return np.diff(self.cum)

    @cached_property
    def cdf(self) -> np.ndarray:
        """``cum / cum[-1]``: the reference CDF after each support value (computed once per
        profile; every window's statistic reads it)."""
        cum = self.cum
        return cum / cum[-1]

    def to_state(self) -> dict:
        """Plain-data form (arrays stay numpy); :meth:`from_state` rebuilds an equal profile."""
        return {"kind": NUMERIC, "name": self.name, "n": self.n,
                "missing_share": self.missing_share, "default_method": self.default_method,
                "mean": self.mean, "std": self.std, "min": self.min, "max": self.max,
                "n_unique": self.n_unique, "exact": self.exact, "values": self.values,
                "cum_counts": self.cum_counts, "edges": self.edges, "hist": self.hist}

    @classmethod
    def from_state(cls, state: Mapping) -> NumericProfile:
        fields_ = {k: v for k, v in state.items() if k != "kind"}
        return cls(**fields_)

    @classmethod
    def from_values(
        cls, name: str, values: Sequence | np.ndarray, max_sample: int = MAX_SAMPLE
    ) -> NumericProfile:
        """Profile one numeric reference column."""
        raw = numeric_array(name, values)
        finite = np.sort(raw[np.isfinite(raw)])
        if finite.size == 0:
            raise ValueError(f"column {name!r}: no non-missing reference values")
        starts = np.flatnonzero(np.r_[True, finite[1:] != finite[:-1]])
        support, cum = _support(finite, starts, max_sample)
        edges = sturges_edges(float(finite[0]), float(finite[-1]), finite.size)
        return cls(
            name=name, n=int(finite.size), missing_share=1.0 - finite.size / raw.size,
            default_method=default_method(NUMERIC, starts.size),
            mean=float(finite.mean()), std=float(finite.std()),
            min=float(finite[0]), max=float(finite[-1]), n_unique=int(starts.size),
            exact=starts.size <= max_sample, values=support, cum_counts=cum,
            edges=edges, hist=np.histogram(finite, edges)[0],
        )  # fmt: skip


def _support(
    finite: np.ndarray, starts: np.ndarray, max_sample: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Sorted support and cumulative counts (None: all counts are 1) of the reference.

    Exact when there are at most ``max_sample`` distinct values. Otherwise the lowest and
    highest ``max_sample // 10`` values are kept as they are (sparse tails decide PSI/JS bins
    and the Wasserstein tail) and the rest is cut into equal blocks, each kept as its median
    with the block's size as count: the CDF is then exact at every block boundary.
    """
    n = finite.size
    if starts.size == n and n <= max_sample:
        return finite, None
    if starts.size <= max_sample:
        return finite[starts], np.r_[starts, n].astype(np.int64)
    tail = max_sample // 10
    middle = finite[tail : n - tail]
    bounds = np.round(np.linspace(0, middle.size, max_sample - 2 * tail + 1)).astype(np.intp)
    medians = middle[(bounds[:-1] + bounds[1:] - 1) // 2]
    counts = np.r_[np.ones(tail, np.int64), np.diff(bounds), np.ones(tail, np.int64)]
    values = np.r_[finite[:tail], medians, finite[n - tail :]]
    return values, np.r_[0, np.cumsum(counts)].astype(np.int64)


@dataclass(frozen=True, eq=False)
class CategoricalProfile(ColumnProfile):
    """Categorical reference: the count of every category seen."""

    categories: tuple = ()
    counts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    kind: str = field(init=False, default=CATEGORICAL)
    index: dict = field(init=False, repr=False, default_factory=dict)  # category -> position

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {c: i for i, c in enumerate(self.categories)})

    @classmethod
    def from_values(cls, name: str, values: Sequence | np.ndarray) -> CategoricalProfile:
        """Profile one categorical reference column."""
        counts, n_missing = category_counts(name, values)
        n = sum(counts.values())
        if n == 0:
            raise ValueError(f"column {name!r}: no non-missing reference values")
        return cls(
            name=name, n=n, missing_share=n_missing / (n + n_missing),
            default_method=default_method(CATEGORICAL, len(counts)),
            categories=tuple(counts), counts=np.fromiter(counts.values(), np.int64, len(counts)),
        )  # fmt: skip

    def to_state(self) -> dict:
        """Plain-data form; :meth:`from_state` rebuilds an equal profile."""
        return {"kind": CATEGORICAL, "name": self.name, "n": self.n,
                "missing_share": self.missing_share, "default_method": self.default_method,
                "categories": [_plain(c) for c in self.categories], "counts": self.counts}

    @classmethod
    def from_state(cls, state: Mapping) -> CategoricalProfile:
        fields_ = {k: v for k, v in state.items() if k != "kind"}
        fields_["categories"] = tuple(fields_["categories"])
        return cls(**fields_)

    @property
    def frequencies(self) -> dict:
        """Category -> share of the non-missing reference."""
        return {c: int(k) / self.n for c, k in zip(self.categories, self.counts, strict=True)}


@dataclass(frozen=True, eq=False)
class ReferenceProfile:
    """Per-column reference profiles; build once with :meth:`from_columns`, pickle freely."""

    columns: dict[str, ColumnProfile]

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Sequence | np.ndarray],
        kinds: Mapping[str, str] | None = None,
        max_sample: int = MAX_SAMPLE,
    ) -> ReferenceProfile:
        """Profile every column; ``kinds`` ("numeric"/"categorical") overrides inference.

        Raises ValueError for an unknown kind, a kind for a column not given, a column
        without non-missing values, or a non-numeric value in a numeric column.
        """
        kinds = dict(kinds or {})
        unknown = sorted(set(kinds) - set(columns))
        if unknown:
            raise ValueError(f"kinds given for columns not in the reference: {unknown}")
        if isinstance(max_sample, bool) or not isinstance(max_sample, int) or max_sample < 2:
            raise ValueError(f"max_sample must be an int >= 2, got {max_sample!r}")
        out: dict[str, ColumnProfile] = {}
        for name, values in columns.items():
            kind = kinds.get(name) or infer_kind(name, values)
            if kind not in KINDS:
                raise ValueError(f"column {name!r}: kind {kind!r} is not one of {KINDS}")
            out[name] = (
                NumericProfile.from_values(name, values, max_sample)
                if kind == NUMERIC
                else CategoricalProfile.from_values(name, values)
            )
        return cls(columns=out)

    def __getitem__(self, name: str) -> ColumnProfile:
        return self.columns[name]

    def to_state(self) -> dict:
        """Plain-data form (``{"columns": [column state, ...]}`` in column order), for
        checkpoints and the store; :meth:`from_state` rebuilds an equal profile."""
        return {"columns": [col.to_state() for col in self.columns.values()]}  # type: ignore[attr-defined]

    @classmethod
    def from_state(cls, state: Mapping) -> ReferenceProfile:
        kinds = {NUMERIC: NumericProfile, CATEGORICAL: CategoricalProfile}
        columns: dict[str, ColumnProfile] = {}
        for col in state["columns"]:
            profile = kinds[col["kind"]].from_state(col)  # type: ignore[attr-defined]
            columns[profile.name] = profile
        return cls(columns=columns)


def _plain(value: object) -> object:
    """A category as a plain Python value (numpy scalars -> their Python equivalent)."""
    return value.item() if isinstance(value, np.generic) else value
