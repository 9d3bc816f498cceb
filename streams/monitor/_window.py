"""An open drift window (or a reference being collected): its feature values, in chunks.

Events added one at a time go into a row chunk (their feature dicts as they came). A run of
events added together (:meth:`Window.extend`, the worker's batches) becomes a column chunk when
its rows share one set of keys: one numpy array per feature whose values are all numbers, the
values as they came otherwise. Reading a column concatenates its chunks; the results are those
of reading the rows one by one (a test compares both on mixed, missing and odd values).
"""

from __future__ import annotations

import math
from operator import itemgetter
from typing import Any

import numpy as np

__all__ = ["Window", "numeric_values"]

_NUMBER_KINDS = "iuf"
_FLOAT_ONLY = {float}


class _Rows:
    """Feature dicts of events added one at a time."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self.rows)

    def names(self) -> dict[str, None]:
        names: dict[str, None] = {}
        for row in self.rows:
            if len(row) != len(names) or row.keys() - names.keys():
                names.update(dict.fromkeys(row))
        return names

    def values(self, name: str, last: int | None = None) -> list[Any]:
        rows = self.rows if last is None else self.rows[-last:]
        return [row.get(name) for row in rows]

    def numeric(self, name: str, last: int | None = None) -> np.ndarray:
        return numeric_values(self.values(name, last))


class _Columns:
    """Features of a run of events with one key order: an array per all-number column."""

    def __init__(self, names: tuple[str, ...], columns: list[Any], n: int) -> None:
        self.n = n
        self.columns: dict[str, Any] = {}
        for name, column in zip(names, columns, strict=True):
            self.columns[name] = _as_array(column)

    def __len__(self) -> int:
        return self.n

    def names(self) -> dict[str, None]:
        return dict.fromkeys(self.columns)

    def values(self, name: str, last: int | None = None) -> list[Any]:
        column = self.columns.get(name)
        if column is None:
            return [None] * (self.n if last is None else min(last, self.n))
        part = column if last is None else column[-last:]
        return part.tolist() if isinstance(part, np.ndarray) else list(part)

    def numeric(self, name: str, last: int | None = None) -> np.ndarray:
        column = self.columns.get(name)
        if isinstance(column, np.ndarray):
            part = column if last is None else column[-last:]
            return part.astype(np.float64)
        return numeric_values(self.values(name, last))


def _as_array(column: tuple[Any, ...]) -> Any:
    """An int64/float64 array when every value is a number of one type (no bool, no None, not
    ints among floats), else the values as they came: reading back gives the same objects."""
    types = set(map(type, column))
    if types == _FLOAT_ONLY:  # the common case: np.fromiter skips np.array's type discovery
        return np.fromiter(column, np.float64, len(column))
    try:
        array = np.array(column)
    except (OverflowError, ValueError):
        return list(column)
    if array.dtype.kind not in _NUMBER_KINDS or (array.dtype.kind == "f" and int in types):
        return list(column)
    return array


def _columns(rows: list[dict[str, Any]]) -> _Columns | None:
    """A column chunk of ``rows`` when they all have the first row's keys (in any order: a
    chunk's names are its first row's, as they would be for a row chunk)."""
    names = tuple(rows[0])
    width = len(names)
    if width < 2:  # itemgetter of one name returns the value, not a 1-tuple
        if not names or not all(map(names.__eq__, map(tuple, rows))):
            return None
        return _Columns(names, list(zip(*map(dict.values, rows), strict=True)), len(rows))
    if not all(map(width.__eq__, map(len, rows))):
        return None
    try:
        table = list(map(itemgetter(*names), rows))
    except KeyError:
        return None
    return _Columns(names, list(zip(*table, strict=True)), len(rows))


class Window:
    """Feature values, predictions and event-time bounds of one open window."""

    def __init__(self) -> None:
        self.chunks: list[_Rows | _Columns] = []
        self.n = 0
        self.predictions: list[Any] = []
        self.start = math.inf
        self.end = -math.inf

    def add(self, event: dict[str, Any]) -> None:
        last = self.chunks[-1] if self.chunks else None
        if not isinstance(last, _Rows):
            last = _Rows()
            self.chunks.append(last)
        last.rows.append(event["features"])
        self.n += 1
        self.predictions.append(event.get("prediction"))
        ts = event["ts"]
        if ts < self.start:
            self.start = ts
        if ts > self.end:
            self.end = ts

    def extend(self, events: list[dict[str, Any]], low: float, high: float) -> None:
        """:meth:`add` for a run of events (``low``/``high``: their smallest and largest ts)."""
        rows = [e["features"] for e in events]
        chunk: _Rows | _Columns | None = _columns(rows)
        if chunk is None:
            chunk = _Rows()
            chunk.rows = rows
        self.chunks.append(chunk)
        self.n += len(rows)
        self.predictions.extend([e.get("prediction") for e in events])
        if low < self.start:
            self.start = low
        if high > self.end:
            self.end = high

    def names(self) -> list[str]:
        """Feature names in the order they were first seen."""
        names: dict[str, None] = {}
        for chunk in self.chunks:
            names.update(chunk.names())
        return list(names)

    def values(self, name: str) -> list[Any]:
        """One feature's values as they came (None where an event lacks it)."""
        return [v for chunk in self.chunks for v in chunk.values(name)]

    def numeric(self, name: str) -> np.ndarray:
        """One feature as floats: NaN where missing or not a number."""
        parts = [chunk.numeric(name) for chunk in self.chunks]
        return np.concatenate(parts) if parts else np.empty(0)

    def tail_matrix(self, last: int, names: list[str]) -> np.ndarray:
        """The last ``last`` events x ``names``, as floats (NaN: missing, not a number)."""
        spans = []  # (chunk, rows taken from its end), newest first
        need = last
        for chunk in reversed(self.chunks):
            if need <= 0:
                break
            spans.append((chunk, min(need, len(chunk))))
            need -= len(chunk)
        out = np.empty((sum(take for _, take in spans), len(names)))
        end = out.shape[0]
        for chunk, take in spans:  # each column written straight into the matrix
            part = out[end - take:end]
            arrays = chunk.columns if isinstance(chunk, _Columns) else {}
            for j, name in enumerate(names):
                column = arrays.get(name)
                # an array column is cast on assignment, as astype(float64) would
                part[:, j] = column[-take:] if isinstance(column, np.ndarray) else \
                    chunk.numeric(name, take)
            end -= take
        return out

    @property
    def columns(self) -> dict[str, list[Any]]:
        """Every feature's values as they came, in first-seen order."""
        return {name: self.values(name) for name in self.names()}

    def to_state(self) -> dict[str, Any]:
        """Columnar plain data: feature names in first-seen order, one list per feature (None
        where an event lacks it), the predictions and the event-time bounds."""
        names = self.names()
        return {"names": names, "columns": [self.values(n) for n in names],
                "predictions": list(self.predictions), "start": self.start, "end": self.end}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Window:
        out = cls()
        names, n = state["names"], len(state["predictions"])
        chunk = _Rows()
        chunk.rows = [dict(zip(names, values, strict=True))
                      for values in zip(*state["columns"], strict=True)] if names else \
            [{} for _ in range(n)]
        if n:
            out.chunks.append(chunk)
        out.n = n
        out.predictions = list(state["predictions"])
        out.start, out.end = state["start"], state["end"]
        return out


def numeric_values(values: list[Any]) -> np.ndarray:
    """A float array (None -> NaN = missing); strings, bools and other non-numbers in a numeric
    column become missing, as they do when the reference is built."""
    if str in set(map(type, values)):  # C-level scan; a generator here cost ~3 µs per event
        return np.asarray(_coerce(values), dtype=np.float64)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.asarray(_coerce(values), dtype=np.float64)


def _coerce(values: list[Any]) -> list[Any]:
    """Numbers stay, anything else (strings in a numeric column, bools) becomes missing."""
    return [v if isinstance(v, int | float) and not isinstance(v, bool) else None
            for v in values]
