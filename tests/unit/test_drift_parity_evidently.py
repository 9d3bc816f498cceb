"""Parity with Evidently 0.7: ``ValueDrift(column, method=...)`` and ``DataDriftPreset``.

Every method both libraries have runs on generated numeric and categorical datasets (drifted
or not, with missing values, +/-inf, unseen values, ties, low cardinality, a constant
reference). Where the profile holds the whole reference the statistics must agree to 1e-9
relative; where it is compressed (reference above 10,000 distinct values) to the contract's
1% relative / 1e-4 absolute. Verdicts must be equal everywhere.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from detectors.drift import METHODS, ReferenceProfile, column_drift, compare

pytest.importorskip("evidently")
from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.metrics import ValueDrift  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402


def _nan(a: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    a = a.astype(float)
    a[rng.random(a.size) < share] = np.nan
    return a


def _numeric_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    r = np.random.default_rng(1)
    return {
        "same": (r.normal(0, 1, 5000), r.normal(0, 1, 800)),
        "shifted": (r.normal(0, 1, 5000), r.normal(0.5, 1.3, 800)),
        "slight_10k_1k": (r.normal(0, 1, 10000), r.normal(0.03, 1, 1000)),
        "missing_and_inf": (
            _nan(r.normal(0, 1, 5000), 0.05, r),
            np.r_[_nan(r.normal(0.2, 1, 800), 0.2, r), [np.inf, -np.inf]],
        ),
        "ten_values_plus_new": (
            r.integers(0, 10, 5000).astype(float),
            np.r_[r.integers(0, 10, 700), [11] * 10].astype(float),
        ),
        "four_values": (r.integers(0, 4, 3000).astype(float), r.integers(0, 5, 700).astype(float)),
        "constant_reference": (np.full(2000, 3.0), r.normal(3, 1, 500)),
        "lognormal": (r.lognormal(0, 2, 8000), r.lognormal(0.1, 2, 900)),
        "poisson_ties": (r.poisson(50, 10000).astype(float), r.poisson(51, 1000).astype(float)),
        "tiny_300_200": (r.normal(0, 1, 300), r.normal(0.3, 1, 200)),
        "equal_sizes": (r.normal(0, 1, 1000), r.normal(0.1, 1, 1000)),
        "21_values": (r.integers(0, 21, 5000).astype(float), r.integers(0, 25, 700).astype(float)),
    }


def _categorical_cases() -> dict[str, tuple[list, list]]:
    r = np.random.default_rng(2)
    p = [0.4, 0.3, 0.15, 0.1, 0.05]
    abc = list("abcde")
    return {
        "same": (r.choice(abc, 5000, p=p).tolist(), r.choice(abc, 800, p=p).tolist()),
        "shifted": (
            r.choice(abc, 5000, p=p).tolist(),
            r.choice(abc, 800, p=[0.2, 0.3, 0.15, 0.1, 0.25]).tolist(),
        ),
        "unseen": (r.choice(list("abc"), 5000).tolist(), r.choice(list("abcz"), 800).tolist()),
        "missing_and_rare": (
            r.choice(list("abc"), 5000).tolist() + [None] * 100 + ["q"],
            r.choice(list("ab"), 800).tolist() + [None] * 50,
        ),
        "single_category": (["x"] * 1000, ["x"] * 300),
        "ints": (r.integers(0, 6, 3000).tolist(), r.integers(0, 6, 600).tolist()),
        "bools": (r.random(3000) < 0.3, r.random(600) < 0.4),
    }


NUMERIC = _numeric_cases()
CATEGORICAL = _categorical_cases()
CASES = [("numeric", name) for name in NUMERIC] + [("categorical", name) for name in CATEGORICAL]


def _data(kind: str, name: str):
    return (NUMERIC if kind == "numeric" else CATEGORICAL)[name]


def _definition(columns: list[str], kind: str) -> DataDefinition:
    if kind == "numeric":
        return DataDefinition(numerical_columns=columns)
    return DataDefinition(categorical_columns=columns)


def _run(ref_df, cur_df, definition, metrics) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Evidently's own divide-by-zero and deprecations
        snapshot = Report(metrics, include_tests=True).run(
            Dataset.from_pandas(cur_df, data_definition=definition),
            Dataset.from_pandas(ref_df, data_definition=definition),
        )
    return snapshot.dict()


def _value_drifts(snapshot: dict) -> dict[str, tuple[float, bool]]:
    """method -> (statistic, drifted) from a report of ValueDrift metrics."""
    values = {m["config"]["method"]: m["value"] for m in snapshot["metrics"]}
    verdicts = {
        t["metric_config"]["params"]["method"]: t["status"] == "FAIL" for t in snapshot["tests"]
    }
    return {m: (float(values[m]), verdicts[m]) for m in values}


@functools.cache
def _evidently(kind: str, name: str) -> dict[str, tuple[float, bool]]:
    ref, cur = _data(kind, name)
    methods = [m for m, spec in METHODS.items() if kind in spec.kinds]
    metrics = [ValueDrift(column="v", method=m) for m in methods]
    return _value_drifts(
        _run(pd.DataFrame({"v": ref}), pd.DataFrame({"v": cur}), _definition(["v"], kind), metrics)
    )


def _close(ours: float, theirs: float, rel: float, abs_: float) -> bool:
    if math.isnan(theirs):
        return math.isnan(ours)
    return abs(ours - theirs) <= max(abs_, rel * abs(theirs))


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{k}-{n}" for k, n in CASES])
def test_value_drift_parity_every_method(kind: str, name: str) -> None:
    ref, cur = _data(kind, name)
    profile = ReferenceProfile.from_columns({"v": ref}, kinds={"v": kind})["v"]
    expected = _evidently(kind, name)
    assert set(expected) == {m for m, spec in METHODS.items() if kind in spec.kinds}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tripwire itself stays silent
        for method, (statistic, drifted) in expected.items():
            got = column_drift(profile, cur, method)
            assert _close(got.statistic, statistic, 1e-9, 1e-12), (method, got, statistic)
            assert got.drifted == drifted, (method, got, statistic, drifted)
            assert got.threshold == METHODS[method].threshold


def test_value_drift_parity_compressed_reference() -> None:
    """100k distinct reference values, compressed to 10k points: 1% / 1e-4, same verdicts."""
    r = np.random.default_rng(5)
    ref, cur = r.lognormal(0, 1, 100_000), r.lognormal(0.1, 1, 1000)
    profile = ReferenceProfile.from_columns({"v": ref})["v"]
    assert not profile.exact and profile.values.size == 10_000
    metrics = [
        ValueDrift(column="v", method=m) for m in ("psi", "jensenshannon", "wasserstein", "ks")
    ]
    expected = _value_drifts(
        _run(
            pd.DataFrame({"v": ref}),
            pd.DataFrame({"v": cur}),
            _definition(["v"], "numeric"),
            metrics,
        )
    )
    for method, (statistic, drifted) in expected.items():
        got = column_drift(profile, cur, method)
        assert _close(got.statistic, statistic, 0.01, 1e-4), (method, got.statistic, statistic)
        assert got.drifted == drifted


def _frames(shift: float) -> tuple[dict[str, list], dict[str, list]]:
    r = np.random.default_rng(11)
    ref: dict[str, list] = {}
    cur: dict[str, list] = {}
    for i in range(6):
        s = shift * (i % 3)
        ref[f"n{i}"] = _nan(r.normal(i, 1, 4000), 0.03, r).tolist()
        cur[f"n{i}"] = _nan(r.normal(i + s, 1, 600), 0.03, r).tolist()
    for j in range(4):
        k = 3 + 3 * j
        w = np.arange(1, k + 1, dtype=float)
        cats = [f"c{v}" for v in range(k)]
        ref[f"c{j}"] = r.choice(cats, 4000, p=w / w.sum()).tolist()
        w2 = w ** (1 + shift * 3 * (j % 2))
        cur[f"c{j}"] = r.choice(cats, 600, p=w2 / w2.sum()).tolist()
    return ref, cur


@pytest.mark.parametrize(("shift", "drift_share"), [(0.0, 0.5), (0.1, 0.5), (0.1, 0.3), (0.6, 0.5)])
def test_data_drift_preset_parity(shift: float, drift_share: float) -> None:
    """Shift 0.1 drifts 3 of 10 columns: share 0.3 is dataset drift at 0.3, not at 0.5."""
    ref, cur = _frames(shift)
    profile = ReferenceProfile.from_columns(ref)
    ours = compare(profile, cur, drift_share=drift_share)
    methods = {name: col.default_method for name, col in profile.columns.items()}
    definition = DataDefinition(
        numerical_columns=[c for c in ref if c.startswith("n")],
        categorical_columns=[c for c in ref if c.startswith("c")],
    )
    preset = DataDriftPreset(per_column_method=methods, drift_share=drift_share)
    snapshot = _run(pd.DataFrame(ref), pd.DataFrame(cur), definition, [preset])
    verdicts, dataset = {}, None
    for test in snapshot["tests"]:
        params = test["metric_config"]["params"]
        if params["type"].endswith("ValueDrift"):
            verdicts[params["column"]] = test["status"] == "FAIL"
        elif params["type"].endswith("DriftedColumnsCount"):
            dataset = test["status"] == "FAIL"
    values = {
        m["config"]["column"]: m["value"]
        for m in snapshot["metrics"]
        if m["config"]["type"].endswith("ValueDrift")
    }
    assert verdicts == {name: col["drifted"] for name, col in ours["columns"].items()}
    assert dataset == ours["dataset_drifted"]
    for name, col in ours["columns"].items():
        assert _close(col["statistic"], values[name], 1e-9, 1e-12)
