"""Reference profiles (inference, contents, compression, pickling) and ``compare``."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from detectors.drift import (
    CategoricalProfile,
    NumericProfile,
    ReferenceProfile,
    column_drift,
    compare,
)

ROOT = Path(__file__).resolve().parents[2]


def test_import_is_light() -> None:
    """The hot path needs neither pandas nor scipy.stats (River loads lazily)."""
    code = (
        "import sys, detectors.drift as d;"
        "p = d.ReferenceProfile.from_columns({'x': [float(i) for i in range(50)], 'c': ['a','b']});"
        "d.compare(p, {'x': [1.0, 2.0], 'c': ['a']});"
        "print('pandas' in sys.modules, 'scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr


# --- kinds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([0.5, 1.5, None], "numeric"),
        (list(range(11)), "numeric"),
        (list(range(10)) * 3, "categorical"),
        ([1, 2, None, 3], "categorical"),
        ([True, False, None], "categorical"),
        (["a", "b", None], "categorical"),
        ([1, "a"], "categorical"),
        (np.arange(11), "numeric"),
        (np.arange(10), "categorical"),
        (np.array([1.0, np.nan]), "numeric"),
        (np.array([True, False]), "categorical"),
        (np.array(["a", "b"]), "categorical"),
    ],
)
def test_kind_inference_follows_evidently(values, kind: str) -> None:
    assert ReferenceProfile.from_columns({"v": values})["v"].kind == kind


def test_kinds_override_and_validation() -> None:
    p = ReferenceProfile.from_columns({"v": [1, 2, 3]}, kinds={"v": "numeric"})
    assert isinstance(p["v"], NumericProfile)
    with pytest.raises(ValueError, match="'v'.*kind 'text'"):
        ReferenceProfile.from_columns({"v": [1]}, kinds={"v": "text"})
    with pytest.raises(ValueError, match="not in the reference"):
        ReferenceProfile.from_columns({"v": [1]}, kinds={"w": "numeric"})
    with pytest.raises(ValueError, match="max_sample"):
        ReferenceProfile.from_columns({"v": [1.0]}, max_sample=1)


@pytest.mark.parametrize("kind", [None, "numeric", "categorical"])
def test_all_missing_reference_rejected(kind) -> None:
    kinds = {"v": kind} if kind else None
    with pytest.raises(ValueError, match="'v': no non-missing reference values"):
        ReferenceProfile.from_columns({"v": [None, float("nan")]}, kinds=kinds)


def test_default_methods() -> None:
    p = ReferenceProfile.from_columns(
        {"wide": [float(i) for i in range(6)], "narrow": [0.0, 1.0, 2.0] * 3, "c": ["a", "b"]}
    )
    assert {n: c.default_method for n, c in p.columns.items()} == {
        "wide": "wasserstein",
        "narrow": "jensenshannon",
        "c": "jensenshannon",
    }


# --- contents ------------------------------------------------------------------------------


def test_numeric_profile_contents() -> None:
    values = [3.0, 1.0, 2.0, 2.0, None, float("inf"), float("nan"), 4.0]
    p = ReferenceProfile.from_columns({"x": values})["x"]
    assert isinstance(p, NumericProfile)
    assert (p.n, p.missing_share, p.min, p.max, p.n_unique) == (5, 3 / 8, 1.0, 4.0, 4)
    assert p.mean == pytest.approx(2.4) and p.std == pytest.approx(np.std([3, 1, 2, 2, 4]))
    np.testing.assert_array_equal(p.values, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(p.counts, [1, 2, 1, 1])
    assert p.exact and p.hist.sum() == 5 and p.edges.size == p.hist.size + 1


def test_categorical_profile_contents() -> None:
    p = ReferenceProfile.from_columns({"c": ["a", "b", "a", None, float("nan")]})["c"]
    assert isinstance(p, CategoricalProfile)
    assert (p.n, p.missing_share) == (3, 0.4)
    assert p.frequencies == {"a": 2 / 3, "b": 1 / 3}


def test_compressed_profile_is_deterministic_and_close() -> None:
    r = np.random.default_rng(9)
    ref, cur = r.lognormal(0, 1, 50_000), r.lognormal(0.05, 1, 1000)
    small = ReferenceProfile.from_columns({"x": ref}, max_sample=5000)["x"]
    again = ReferenceProfile.from_columns({"x": ref}, max_sample=5000)["x"]
    full = ReferenceProfile.from_columns({"x": ref}, max_sample=60_000)["x"]
    assert not small.exact and full.exact and small.values.size == 5000
    np.testing.assert_array_equal(small.values, again.values)
    assert small.cum[-1] == small.n == 50_000
    assert (small.values[0], small.values[-1]) == (ref.min(), ref.max())
    # 10x compression; the KS p-value moves steeply with D (here 1.2% off), the rest < 1%
    for method, rel in (
        ("wasserstein", 0.01),
        ("psi", 0.01),
        ("jensenshannon", 0.01),
        ("ks", 0.02),
    ):
        a, b = column_drift(small, cur, method), column_drift(full, cur, method)
        assert a.statistic == pytest.approx(b.statistic, rel=rel, abs=1e-4), method
        assert a.drifted == b.drifted


def test_profile_pickles_small_and_equal() -> None:
    r = np.random.default_rng(10)
    ref = {"x": r.normal(size=50_000), "c": r.choice(list("abcd"), 50_000).tolist()}
    cur = {"x": r.normal(0.1, 1, 500).tolist(), "c": r.choice(list("abce"), 500).tolist()}
    profile = ReferenceProfile.from_columns(ref)
    blob = pickle.dumps(profile)
    assert len(blob) < 200_000
    clone = pickle.loads(blob)
    assert clone["c"].index == profile["c"].index
    assert compare(clone, cur) == compare(profile, cur)


# --- compare -------------------------------------------------------------------------------


def _window():
    r = np.random.default_rng(12)
    ref = {"x": r.normal(0, 1, 3000).tolist(), "c": r.choice(list("abc"), 3000).tolist()}
    cur = {"x": r.normal(1, 1, 300).tolist(), "c": r.choice(list("abc"), 300).tolist()}
    return ref, cur


def test_compare_shape_and_profile_equivalence() -> None:
    ref, cur = _window()
    result = compare(ref, {**cur, "extra": [1, 2]})
    assert set(result) == {"columns", "dataset_drifted"}
    assert set(result["columns"]) == {"x", "c"}
    assert set(result["columns"]["x"]) == {
        "method", "statistic", "threshold", "drifted", "kind", "missing_share", "unseen_share", "n"
    }  # fmt: skip
    assert result["columns"]["x"]["method"] == "wasserstein" and result["columns"]["x"]["drifted"]
    assert not result["columns"]["c"]["drifted"]
    assert result["dataset_drifted"]  # 1 of 2 >= 0.5
    assert compare(ReferenceProfile.from_columns(ref), cur) == result


def test_compare_with_profile_never_rebuilds(monkeypatch) -> None:
    ref, cur = _window()
    profile = ReferenceProfile.from_columns(ref)

    def boom(*args, **kwargs):
        raise AssertionError("reference re-profiled")

    monkeypatch.setattr(NumericProfile, "from_values", boom)
    monkeypatch.setattr(CategoricalProfile, "from_values", boom)
    assert compare(profile, cur)["dataset_drifted"]


def test_compare_overrides() -> None:
    ref, cur = _window()
    result = compare(ref, cur, method="psi", per_column={"x": {"method": "ks", "threshold": 0.01}})
    assert result["columns"]["x"]["method"] == "ks" and result["columns"]["x"]["threshold"] == 0.01
    assert result["columns"]["c"]["method"] == "psi"
    assert not compare(ref, cur, drift_share=1.0)["dataset_drifted"]
    assert compare(ref, cur, threshold=0.0)["columns"]["c"]["drifted"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "wasserstein"}, "'c'.*'wasserstein'.*allowed: psi, jensenshannon, chisquare"),
        ({"per_column": {"nope": {}}}, "'nope'"),
        ({"per_column": {"x": {"methd": "ks"}}}, "unknown keys"),
        ({"drift_share": 0.0}, "drift_share"),
        ({"drift_share": 1.5}, "drift_share"),
        ({"drift_share": "half"}, "drift_share"),
    ],
)
def test_compare_rejects_bad_parameters(kwargs, message: str) -> None:
    ref, cur = _window()
    with pytest.raises(ValueError, match=message):
        compare(ref, cur, **kwargs)


def test_compare_missing_column_in_window() -> None:
    ref, cur = _window()
    with pytest.raises(ValueError, match="'c' is in the reference but not in the current"):
        compare(ref, {"x": cur["x"]})


def test_all_missing_columns_leave_the_dataset_share() -> None:
    ref, cur = _window()
    result = compare(ref, {"x": cur["x"], "c": [None] * 5})
    assert result["columns"]["c"]["missing_share"] == 1.0
    assert result["dataset_drifted"]  # 1 drifted of 1 evaluated
    assert not compare(ref, {"x": [None], "c": [None]})["dataset_drifted"]
