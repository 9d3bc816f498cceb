"""Checkpoint building blocks without a broker: offsets, the record layout, the bytes."""

from __future__ import annotations

import math
import zlib

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


@pytest.mark.parametrize("array", [
    np.round(np.sort(np.random.default_rng(3).normal(0, 1, 2000)), 4),  # a reference profile
    np.cumsum(np.random.default_rng(4).integers(0, 4, 2000)),  # its cumulative counts
    np.sort(np.random.default_rng(5).normal(0, 1, 2000)),  # full-precision floats: raw bytes
    np.array([0.1, 0.2, 0.30000000000000004, 1e-7, 123456.789] * 5),
    np.array([-0.0, 0.0, 1.5] * 10),  # -0.0 must stay -0.0
    np.array([np.nan, np.inf, -np.inf, 1.0] * 6),
    np.array([-(2**63), 2**63 - 1, 0, 5] * 6, dtype=np.int64),  # steps overflow int64
    np.arange(40, dtype=np.uint64) * np.uint64(2**62),
    np.arange(30, dtype=np.int32), np.arange(30, dtype=np.float32) / 3,
    np.arange(30, dtype=np.int16)[::-2], np.array([True, False] * 20),
    np.array([1e300, -1e300] * 10), np.array([3.0] * 17), np.arange(20.0).reshape(4, 5),
])
def test_codec_compact_arrays_come_back_bit_for_bit(array: np.ndarray) -> None:
    back = decode(encode({"a": array}))["a"]
    assert back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == np.ascontiguousarray(array).tobytes()
    back[...] = back  # writable


def test_codec_stores_decimal_profiles_compactly() -> None:
    values = np.round(np.sort(np.random.default_rng(6).normal(0, 1, 2000)), 4)
    counts = np.cumsum(np.random.default_rng(7).integers(1, 3, 2000))
    raw = len(zlib.compress(values.tobytes() + counts.tobytes(), 1))
    assert len(encode({"v": values, "c": counts})) < 0.5 * raw
