"""Drift of one window: Evidently's DataDriftPreset vs tripwire's profile-based ``compare``.

One window: 10,000 reference rows and 1,000 current rows x 20 columns (12 numeric, 8
categorical, some with missing values, some drifted). Both sides use the same methods: each
column's tripwire default (wasserstein / jensenshannon), passed to Evidently explicitly.

- ``evidently_s``: median wall time of ``Report([DataDriftPreset(...)]).run(...)`` including
  ``Dataset.from_pandas`` of both frames (the DataFrames themselves are built untimed).
- ``tripwire_s``: median time of ``compare(profile, current)`` with the profile built once,
  current given as plain lists per column (what a decoded JSON batch looks like).
- ``tripwire_with_profile_s``: median time of building the profile *and* comparing.
- ``speedup`` = evidently_s / tripwire_s; ``speedup_with_profile`` likewise.
- ``verdicts_agree``: every column's drift verdict and the dataset verdict are equal.

Run ``python -m benchmarks.drift`` to print the JSON.
"""

from __future__ import annotations

import json
import statistics
import time
import warnings
from typing import Any

import numpy as np

from detectors.drift import ReferenceProfile, compare

N_REF, N_CUR, N_NUM, N_CAT = 10_000, 1_000, 12, 8


def make_columns(n: int, rng: np.random.Generator, shift: float) -> dict[str, list]:
    """12 numeric and 8 categorical columns; ``shift`` moves half of them."""
    cols: dict[str, list] = {}
    for i in range(N_NUM):
        s = shift if i % 2 else 0.0
        if i % 3 == 0:
            x = rng.normal(10 * i + s, 1 + i / 10, n)
        elif i % 3 == 1:
            x = rng.lognormal(s, 1.0, n)
        else:
            x = rng.poisson(30 + 5 * s, n).astype(float)
        x[rng.random(n) < 0.02 * (i % 4)] = np.nan
        cols[f"num_{i}"] = x.tolist()
    for j in range(N_CAT):
        k = 3 + 4 * j
        p = np.arange(1, k + 1, dtype=float) ** (1 + (shift if j % 2 else 0.0))
        vals = rng.choice([f"c{v}" for v in range(k)], n, p=p / p.sum()).astype(object)
        vals[rng.random(n) < 0.01 * (j % 3)] = None
        cols[f"cat_{j}"] = vals.tolist()
    return cols


def _median_time(fn, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _evidently(ref: dict, cur: dict, methods: dict[str, str], repeat: int):
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref_df, cur_df = pd.DataFrame(ref), pd.DataFrame(cur)
    definition = DataDefinition(
        numerical_columns=[c for c in ref if c.startswith("num_")],
        categorical_columns=[c for c in ref if c.startswith("cat_")],
    )

    def run():
        report = Report([DataDriftPreset(per_column_method=methods)], include_tests=True)
        return report.run(
            Dataset.from_pandas(cur_df, data_definition=definition),
            Dataset.from_pandas(ref_df, data_definition=definition),
        ).dict()

    return _median_time(run, repeat)


def _evidently_verdicts(snapshot: dict) -> tuple[dict[str, bool], bool]:
    columns, dataset = {}, False
    for test in snapshot["tests"]:
        params = test["metric_config"]["params"]
        if params["type"].endswith("ValueDrift"):
            columns[params["column"]] = test["status"] == "FAIL"
        elif params["type"].endswith("DriftedColumnsCount"):
            dataset = test["status"] == "FAIL"
    return columns, dataset


def run(repeat_evidently: int = 3, repeat_tripwire: int = 30) -> dict:
    """Time both on the same window; see the module docstring for the keys."""
    rng = np.random.default_rng(2024)
    ref, cur = make_columns(N_REF, rng, 0.0), make_columns(N_CUR, rng, 0.3)
    profile = ReferenceProfile.from_columns(ref)
    methods = {name: col.default_method for name, col in profile.columns.items()}
    tw_s, result = _median_time(lambda: compare(profile, cur), repeat_tripwire)
    tw_full_s, _ = _median_time(
        lambda: compare(ReferenceProfile.from_columns(ref), cur), max(3, repeat_tripwire // 5)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev_s, snapshot = _evidently(ref, cur, methods, repeat_evidently)
    ev_cols, ev_dataset = _evidently_verdicts(snapshot)
    tw_cols = {name: col["drifted"] for name, col in result["columns"].items()}
    return {
        "evidently_s": ev_s,
        "tripwire_s": tw_s,
        "tripwire_with_profile_s": tw_full_s,
        "speedup": ev_s / tw_s,
        "speedup_with_profile": ev_s / tw_full_s,
        "verdicts_agree": ev_cols == tw_cols and ev_dataset == result["dataset_drifted"],
        "drifted_columns": sum(tw_cols.values()),
        "columns": len(tw_cols),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
