"""The drift window's column chunks read exactly as its rows would (streams.monitor._window)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from streams.monitor._window import Window


def _features(rng: random.Random, i: int, odd: bool) -> dict:
    row = {"a": rng.gauss(0, 1), "b": rng.randrange(5), "c": rng.choice(["x", "y", "z"])}
    if odd:
        kind = rng.randrange(6)
        if kind == 0:
            row["a"] = None  # missing value
        elif kind == 1:
            del row["b"]  # missing key
        elif kind == 2:
            row = {"c": row["c"], "a": row["a"], "b": row["b"]}  # another key order
        elif kind == 3:
            row["b"] = "seven"  # a string in a number column
        elif kind == 4:
            row["d"] = 2**62 + i  # a new, very large integer feature
        else:
            row["a"] = 3  # an int among floats
    return row


def _events(seed: int, n: int, odd_share: float) -> list[dict]:
    rng = random.Random(seed)
    return [{"features": _features(rng, i, rng.random() < odd_share), "prediction": i % 3,
             "ts": 100.0 + i} for i in range(n)]


def _one_by_one(events: list[dict]) -> Window:
    window = Window()
    for event in events:
        window.add(event)
    return window


def _in_runs(events: list[dict], seed: int) -> Window:
    rng, window, i = random.Random(seed), Window(), 0
    while i < len(events):
        size = rng.choice([1, 3, 50, 400])
        run = events[i:i + size]
        if size == 1:
            window.add(run[0])
        else:
            window.extend(run, min(e["ts"] for e in run), max(e["ts"] for e in run))
        i += size
    return window


@pytest.mark.parametrize("odd_share", [0.0, 0.01, 0.3])
@pytest.mark.parametrize("seed", [1, 2])
def test_chunks_read_like_rows(seed: int, odd_share: float) -> None:
    events = _events(seed, 1500, odd_share)
    rows, runs = _one_by_one(events), _in_runs(events, seed)
    assert runs.names() == rows.names() and runs.n == rows.n == 1500
    assert (runs.start, runs.end, runs.predictions) == (rows.start, rows.end, rows.predictions)
    for name in rows.names() + ["absent"]:
        assert runs.values(name) == rows.values(name)
        assert [type(v) for v in runs.values(name)] == [type(v) for v in rows.values(name)]
        np.testing.assert_array_equal(runs.numeric(name), rows.numeric(name))
    names = rows.names()
    for last in (1, 250, 1500):
        np.testing.assert_array_equal(runs.tail_matrix(last, names),
                                      rows.tail_matrix(last, names))
    assert runs.to_state() == rows.to_state()
    restored = Window.from_state(runs.to_state())
    assert restored.to_state() == rows.to_state()


def test_a_uniform_run_becomes_number_columns() -> None:
    window = Window()
    events = _events(3, 500, 0.0)
    window.extend(events, 100.0, 599.0)
    chunk = window.chunks[0]
    assert isinstance(chunk.columns["a"], np.ndarray) and chunk.columns["a"].dtype == np.float64
    assert isinstance(chunk.columns["b"], np.ndarray) and chunk.columns["b"].dtype == np.int64
    assert isinstance(chunk.columns["c"], list)  # strings stay as they came
