"""Checkpoint building blocks without a broker: offsets, the record layout, the bytes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from streams.checkpoint import OffsetTracker, decode, encode
from streams.checkpoint._log import CHUNK_BYTES, chunk_tombstones, parse_partition, records_for

KEY = ("model", "churn")
P = "tripwire.predictions"


def test_a_message_is_admitted_whole_and_never_twice() -> None:
    tracker = OffsetTracker()
    assert tracker.admit(KEY, P, 2, 10, events=100)
    assert tracker.admit(KEY, P, 2, 10)  # more events of the same message, same batch
    tracker.settle()
    assert tracker.offsets[KEY] == {P: 10} and tracker.partition_offsets[2] == {P: 10}
    assert not tracker.admit(KEY, P, 2, 10)  # redelivered after the batch: already held
    assert not tracker.admit(KEY, P, 2, 3)
    assert tracker.admit(KEY, P, 2, 11)
    assert tracker.counters["redelivered"] == 2 and tracker.changes[KEY] == 102


def test_restored_offsets_filter_and_dirty_tracking() -> None:
    tracker = OffsetTracker()
    tracker.install(KEY, 1, {P: 500})
    assert tracker.dirty(1) == []  # restored, unchanged
    assert not tracker.admit(KEY, P, 1, 500) and tracker.admit(KEY, P, 1, 501)
    tracker.settle()
    assert tracker.dirty(1) == [KEY]
    tracker.mark_saved(KEY, tracker.changes[KEY])
    assert tracker.dirty(1) == []
    assert tracker.forget(1) == [KEY] and KEY not in tracker.offsets


def test_an_entity_on_two_partitions_is_counted() -> None:
    tracker = OffsetTracker()
    tracker.admit(KEY, P, 0, 1)
    tracker.admit(KEY, P, 3, 1)
    assert tracker.partition[KEY] == 0 and tracker.counters["foreign_partition"] == 1


def test_codec_keeps_floats_arrays_and_bytes_exactly() -> None:
    record = {"inf": math.inf, "nan": math.nan, "ints": np.arange(5, dtype=np.int64),
              "matrix": np.ones((2, 3)), "raw": b"\x00\xff", "nested": [{"a": None}]}
    back = decode(encode(record))
    assert back["inf"] == math.inf and math.isnan(back["nan"])
    assert back["ints"].dtype == np.int64 and back["ints"].tolist() == [0, 1, 2, 3, 4]
    assert back["matrix"].shape == (2, 3) and back["raw"] == b"\x00\xff"
    with pytest.raises(ValueError, match="not a Tripwire checkpoint"):
        decode(b"something else")


def test_large_states_go_in_parts_and_old_parts_are_retired() -> None:
    data = encode({"blob": np.random.default_rng(1).random(CHUNK_BYTES // 4)})
    assert len(data) > CHUNK_BYTES
    gen1 = records_for("model", "churn", data, 1)
    assert len(gen1) > 2 and gen1[-1][0] == b"e/model/churn"  # parts first, header last
    latest: dict[bytes, bytes | None] = dict(gen1)
    small = encode({"blob": [1, 2, 3]})
    latest.update(records_for("model", "churn", small, 2))  # a later, inline checkpoint
    for key in chunk_tombstones("model", "churn", 1, len(gen1) - 1):
        latest[key] = None
    parsed = parse_partition(latest)
    assert parsed.entities[KEY] == {"blob": [1, 2, 3]} and not parsed.broken


def test_a_header_whose_parts_are_missing_is_reported_not_fatal() -> None:
    data = encode({"blob": np.random.default_rng(2).random(CHUNK_BYTES // 4)})
    records = dict(records_for("model", "churn", data, 4))
    records.pop(next(k for k in records if k.startswith(b"c/")))
    parsed = parse_partition(records)
    assert KEY not in parsed.entities and parsed.broken == ["e/model/churn"]
