"""Entity state moved mid-stream continues exactly: export every entity of a monitor at a cut,
push the records through the checkpoint bytes, restore them into a fresh monitor and feed it
the rest of the stream. The outputs must be those of the uninterrupted run (the pinned digest
of ``test_replay_pinned``), at cuts inside open windows, reference collection and the label
join's pending predictions."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest
from test_replay_pinned import CONFIG, GOLDEN, stream
from tripwire_sdk.events import validate

from streams.checkpoint import decode, encode
from streams.monitor import STATE_VERSION, Monitor


def _batches(size: int = 2000) -> list[list[dict[str, Any]]]:
    out, batch = [], []
    for event in stream():
        batch.append(validate(event))
        if len(batch) == size:
            out.append(batch)
            batch = []
    return out + [batch]


@pytest.fixture(scope="module")
def batches() -> list[list[dict[str, Any]]]:
    return _batches()


def _digest(records: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for record in records:
        if record.get("kind") == "reference":
            record = {k: v for k, v in record.items() if k != "profile"}
        digest.update(orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n")
    return digest.hexdigest()


def _moved(monitor: Monitor) -> Monitor:
    fresh = Monitor(CONFIG)
    for key in list(monitor.entities):
        record = decode(encode(monitor.export(key)))
        assert record["version"] == STATE_VERSION and (record["kind"], record["entity"]) == key
        assert fresh.restore(record) == key
    return fresh


@pytest.mark.parametrize("cuts", [(1,), (5,), (9, 17), (3, 6, 12, 21)])
def test_state_moved_between_monitors_continues_exactly(batches, cuts) -> None:
    monitor, records = Monitor(CONFIG), []
    for index, batch in enumerate(batches):
        if index in cuts:
            monitor = _moved(monitor)
        records += monitor.observe(batch)
    assert _digest(records) == (GOLDEN / "records_pinned.sha256").read_text().strip()


def test_a_record_from_another_state_version_is_refused(batches) -> None:
    monitor = Monitor(CONFIG)
    monitor.observe(batches[0])
    record = monitor.export(next(iter(monitor.entities)))
    record["version"] = STATE_VERSION + 1
    with pytest.raises(ValueError, match="checkpoint version"):
        Monitor(CONFIG).restore(record)
