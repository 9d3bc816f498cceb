"""Monitor state that follows its partition: checkpoint, hand-over, restore, catch-up.

* **Checkpoint** (every ``snapshot_interval_s``, when partitions are revoked, at shutdown):
  each entity changed since its last checkpoint is exported (``Monitor.export``) with the
  offsets it has consumed, written to the checkpoint topic on its partition (``_log``) and
  copied to the worker's store; then a partition marker records how far the partition got.
* **Restore** (a partition newly assigned to this worker, before any of its events is
  processed): the partition's entity records are read back and installed; then the events
  between the marker and the consumer group's committed offset, which the previous owner
  processed after its last checkpoint, are re-read and fed to the monitor only (their rows
  were stored and their outputs published by the previous owner). Events at or below an
  entity's checkpointed offsets never reach its monitor again, so nothing is counted twice.
* Without a checkpoint on the broker (the embedded broker keeps topics in memory and starts
  empty) the store's copy is used, as long as the broker has no committed offsets for the
  partition either (a new broker: old offsets mean nothing there).

Correctness does not depend on the revoke-time checkpoint: a worker that dies without one
leaves an older checkpoint, and the catch-up re-reads everything after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from streams.checkpoint._codec import decode, encode, pack, seal
from streams.checkpoint._log import (
    chunk_tombstones,
    committed_offsets,
    parse_partition,
    read_partition,
    read_range,
    records_for,
)
from streams.checkpoint._tracker import EntityKey, OffsetTracker

__all__ = ["Checkpointer", "KafkaSide"]

log = logging.getLogger("tripwire.checkpoint")

SEND_TIMEOUT_S = 15.0  # one partition's checkpoint records, acknowledged by the broker
Message = tuple[str, int, int, bytes]
Send = Callable[[bytes, bytes | None, int], Awaitable[Awaitable[Any]]]


@dataclass
class KafkaSide:
    """Where checkpoints go on the broker and how to read the group's progress."""

    bootstrap: str
    topic: str
    input_topics: tuple[str, ...]
    group_id: str
    send: Send  # (key, value or None, partition) -> awaitable ack


@dataclass
class _Stats:
    checkpoints: int = 0
    entities_written: int = 0
    bytes_written: int = 0
    last_sizes: dict[str, int] = field(default_factory=dict)  # "kind/name" -> bytes
    restored: int = 0
    caught_up: int = 0
    restore_s: list[float] = field(default_factory=list)


class Checkpointer:
    """Checkpoint and restore of one worker's entities (see the module docstring)."""

    def __init__(self, monitor: Callable[[], Any], tracker: OffsetTracker,
                 kafka: KafkaSide | None, store: Callable[[], Any],
                 feed: Callable[[list[Message]], int], ready: asyncio.Event,
                 quiet: Callable[[], AbstractAsyncContextManager[None]] | None = None) -> None:
        self._monitor, self.tracker, self.kafka = monitor, tracker, kafka
        self._store, self._feed, self._ready = store, feed, ready
        # Entered while a partition's cut is taken: no batch is between the monitor and its
        # outputs' publication then (``Worker.quiet``), so a restored state never holds an
        # output that was not published.
        self._quiet = quiet or contextlib.nullcontext
        self.owned: set[int] = set()
        self._restoring: dict[int, asyncio.Future[None]] = {}
        self._generations: dict[EntityKey, tuple[int, int]] = {}  # key -> (gen, parts)
        self._markers: dict[int, dict[str, int]] = {}
        self._lock = asyncio.Lock()
        self.stats = _Stats()

    def summary(self) -> dict[str, Any]:
        """What ``GET /api/v1/state`` shows: owned partitions, entities and their offsets,
        checkpoint sizes, restores."""
        tracker = self.tracker
        entities = [{"kind": k[0], "entity": k[1], "partition": p,
                     "offsets": dict(tracker.offsets.get(k, {})),
                     "checkpoint_bytes": self.stats.last_sizes.get(f"{k[0]}/{k[1]}")}
                    for k, p in list(tracker.partition.items())]
        s = self.stats
        return {"partitions": sorted(self.owned), "entities": entities,
                "checkpoints": {"written": s.checkpoints, "entities": s.entities_written,
                                "bytes": s.bytes_written},
                "restores": {"entities": s.restored, "events_caught_up": s.caught_up,
                             "seconds": [round(x, 3) for x in s.restore_s],
                             "pending": sorted(p for p, f in self._restoring.items()
                                               if not f.done())},
                "redelivered_events": tracker.counters["redelivered"]}

    # -- ownership ---------------------------------------------------------------------------
    def assigned(self, partitions: set[int]) -> None:
        """The partitions this worker owns now: drop the ones it lost, restore the new ones."""
        for p in self.owned - partitions:
            for key in self.tracker.forget(p):
                self._monitor().drop(key)
                self._generations.pop(key, None)
            self._markers.pop(p, None)
            log.info("partition %d moved away: its entities were dropped", p)
        for p in sorted(partitions - self.owned):
            self._restoring[p] = asyncio.ensure_future(self._restore_with_retry(p))
        self.owned = set(partitions)

    async def revoked(self, partitions: set[int]) -> None:
        """Partitions are being taken away (rebalance or stop): checkpoint them now, so the
        next owner has little to catch up."""
        try:
            await self.checkpoint(partitions & self.owned)
        except Exception:
            log.exception("checkpoint at revocation failed; the next owner catches up from "
                          "the previous checkpoint")

    async def wait_restored(self, partitions: Iterable[int]) -> None:
        """Return once every given partition's state is restored (no-op for the others)."""
        pending = [self._restoring[p] for p in set(partitions) if p in self._restoring]
        if pending:
            await asyncio.gather(*pending)

    # -- restore -----------------------------------------------------------------------------
    async def _restore_with_retry(self, partition: int) -> None:
        delay = 1.0
        for attempt in range(1, 6):
            try:
                await self._restore(partition)
                return
            except Exception as exc:
                log.error("restoring partition %d failed (attempt %d of 5): %s", partition,
                          attempt, exc)
                await asyncio.sleep(delay)
                delay *= 2
        log.error("partition %d: state could not be restored; its entities start fresh",
                  partition)

    async def _restore(self, partition: int) -> None:
        await self._ready.wait()
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        committed: dict[tuple[str, int], int] = {}
        marker = None
        installed = 0
        if self.kafka is not None:
            latest = await read_partition(self.kafka.bootstrap, self.kafka.topic, partition)
            checkpoint = parse_partition(latest)
            committed = await loop.run_in_executor(None, committed_offsets,
                                                   self.kafka.bootstrap, self.kafka.group_id)
            marker = checkpoint.marker
            if marker:
                self.tracker.advance(partition, marker.get("offsets") or {})
            for record in checkpoint.entities.values():
                installed += self._install(record, partition, record.get("offsets") or {})
            for key, gen in checkpoint.generations.items():
                self._generations[key] = (gen, 0)
        has_history = any(p == partition for (_, p) in committed)
        if not installed and not has_history:
            installed += await self._install_store_copies(partition)
        caught = await self._catch_up(partition, marker, committed) if has_history else 0
        seconds = time.monotonic() - started
        self.stats.restored += installed
        self.stats.caught_up += caught
        self.stats.restore_s.append(seconds)
        log.info("partition %d restored: %d entities, %d events caught up, in %.2fs",
                 partition, installed, caught, seconds)

    def _install(self, record: dict[str, Any], partition: int, offsets: dict[str, int]) -> int:
        try:
            key = self._monitor().restore(record)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("checkpoint of %s %s cannot be restored (%s): it starts fresh",
                      record.get("kind"), record.get("entity"), exc)
            return 0
        self.tracker.install(key, partition, offsets)
        return 1

    async def _install_store_copies(self, partition: int) -> int:
        """The store's copies, on a broker with no history of this partition: offsets from
        another broker's lifetime are dropped."""
        from sinks.clickhouse import tables

        store = self._store()
        if store is None:
            return 0
        loop = asyncio.get_running_loop()
        rows = await loop.run_in_executor(None, tables.entity_state.load, store, partition)
        count = 0
        for row in rows:
            try:
                record = decode(row["state"])
            except ValueError as exc:
                log.error("stored state of %s %s unreadable (%s)", row["entity_type"],
                          row["entity"], exc)
                continue
            count += self._install(record, partition, {})
        return count

    async def _catch_up(self, partition: int, marker: dict[str, Any] | None,
                        committed: dict[tuple[str, int], int]) -> int:
        """Feed the monitor what the previous owner processed after the marker."""
        assert self.kafka is not None
        done = (marker or {}).get("offsets", {})
        messages: list[Message] = []
        for topic in self.kafka.input_topics:
            end = committed.get((topic, partition))
            start = done[topic] + 1 if topic in done else None
            if end is None or (start is not None and start >= end):
                continue
            log.info("partition %d: re-reading %s from %s to %d", partition, topic,
                     "the start" if start is None else start, end)
            for offset, value in await read_range(self.kafka.bootstrap, topic, partition,
                                                  start, end):
                messages.append((topic, partition, offset, value))
        return self._feed(messages) if messages else 0

    # -- checkpoint --------------------------------------------------------------------------
    async def checkpoint(self, partitions: Iterable[int] | None = None) -> int:
        """Write every changed entity (and the marker) of the given partitions (default: every
        partition with entities); return the number of entities written."""
        async with self._lock:
            targets = sorted(set(self.tracker.partition.values()) | self.owned
                             if partitions is None else partitions)
            written = 0
            for partition in targets:
                restoring = self._restoring.get(partition)
                if restoring is not None and not restoring.done():
                    continue  # its state is still being put together
                written += await self._checkpoint_partition(partition)
            return written

    async def _checkpoint_partition(self, partition: int) -> int:
        async with self._quiet():
            keys = self.tracker.dirty(partition)
            marker = dict(self.tracker.partition_offsets.get(partition, {}))
            if not keys and (not marker or marker == self._markers.get(partition)):
                return 0
            taken = time.time()
            packed = []
            for key in keys:  # one synchronous pass: a consistent cut of the live state
                record = self._monitor().export(key)
                record.update(offsets=dict(self.tracker.offsets.get(key, {})),
                              partition=partition, taken=taken)
                packed.append((key, self.tracker.changes.get(key, 0), pack(record)))
        loop = asyncio.get_running_loop()
        sealed = await loop.run_in_executor(None, lambda: [seal(b) for _, _, b in packed])
        # The store's copy first: it is local, and it is what a restart of the embedded stack
        # (whose broker starts empty) comes back to, even when the broker is already gone.
        await self._store_copies(partition, packed, sealed, taken)
        if self.kafka is not None:
            entries = [(k, d) for (k, _, _), d in zip(packed, sealed, strict=True)]
            await asyncio.wait_for(self._send(partition, entries, marker, taken),
                                   SEND_TIMEOUT_S)
        for (key, change, _), data in zip(packed, sealed, strict=True):
            self.tracker.mark_saved(key, change)
            self.stats.last_sizes[f"{key[0]}/{key[1]}"] = len(data)
            self.stats.bytes_written += len(data)
        self._markers[partition] = marker
        self.stats.checkpoints += 1
        self.stats.entities_written += len(packed)
        return len(packed)

    async def _send(self, partition: int, entries: list[tuple[EntityKey, bytes]],
                    marker: dict[str, int], taken: float) -> None:
        assert self.kafka is not None
        acks, retired = [], []
        for key, data in entries:
            gen, parts = self._generations.get(key, (0, 0))
            records = records_for(key[0], key[1], data, gen + 1)
            for record_key, value in records:
                acks.append(await self.kafka.send(record_key, value, partition))
            if parts:
                retired += chunk_tombstones(key[0], key[1], gen, parts)
            self._generations[key] = (gen + 1, len(records) - 1 if len(records) > 1 else 0)
        acks.append(await self.kafka.send(f"p/{partition}".encode(),
                                          encode({"offsets": marker, "taken": taken}),
                                          partition))
        await asyncio.gather(*acks)
        if retired:
            await asyncio.gather(*[await self.kafka.send(k, None, partition) for k in retired])

    async def _store_copies(self, partition: int, packed: list[tuple[EntityKey, int, bytes]],
                            sealed: list[bytes], taken: float) -> None:
        from sinks.clickhouse import tables

        store = self._store()
        if store is None or not packed:
            return
        rows = [tables.entity_state.record(key[0], key[1], partition, taken, data)
                for (key, _, _), data in zip(packed, sealed, strict=True)]
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, store.insert, tables.entity_state.TABLE, rows)
