"""Which entities live on which partition, how far each has consumed, and what changed.

Pure bookkeeping for the worker (no I/O). An entity belongs to the partition of its input
events (topics are keyed by model / app). For every entity the tracker keeps the highest offset
folded into its monitor state per input topic; an event at or below it is a redelivery (after a
crash, a rebalance or a catch-up read) and must not reach the monitor again.

One Kafka message carries many events (the SDK sends arrays), all with the message's offset, and
a batch is always folded whole. So offsets admitted during a batch take effect at
:meth:`settle`, which the worker calls right after the monitor took the batch: a checkpoint
(taken between batches) never splits a message, and the events of one message are all
admitted together.
"""

from __future__ import annotations

import logging
from collections import defaultdict

__all__ = ["EntityKey", "OffsetTracker"]

log = logging.getLogger("tripwire.checkpoint")

EntityKey = tuple[str, str]


class OffsetTracker:
    """Partition, consumed offsets and change counter of every entity this worker holds."""

    def __init__(self) -> None:
        self.partition: dict[EntityKey, int] = {}
        self.offsets: dict[EntityKey, dict[str, int]] = {}
        self.partition_offsets: dict[int, dict[str, int]] = defaultdict(dict)
        self.changes: dict[EntityKey, int] = {}  # bumped on every admitted event
        self.saved: dict[EntityKey, int] = {}  # change count at the last checkpoint
        self._batch: list[tuple[EntityKey, str, int, int]] = []  # admitted, not yet settled
        self.counters = {"redelivered": 0, "foreign_partition": 0}

    def admit(self, key: EntityKey, topic: str, partition: int, offset: int,
              events: int = 1) -> bool:
        """Record ``events`` events of one message for one entity in the current batch;
        False when the entity's state already holds them."""
        home = self.partition.setdefault(key, partition)
        if home != partition:
            self.counters["foreign_partition"] += 1
            if self.counters["foreign_partition"] == 1:
                log.warning("%s %s has events on partitions %d and %d: key its events by "
                            "%s so its state lives on one partition", key[0], key[1], home,
                            partition, key[0])
        if offset <= self.offsets.get(key, {}).get(topic, -1):
            self.counters["redelivered"] += 1
            return False
        self._batch.append((key, topic, partition, offset))
        self.changes[key] = self.changes.get(key, 0) + events
        return True

    def settle(self) -> None:
        """The monitor has taken the batch: its offsets now count as consumed."""
        for key, topic, partition, offset in self._batch:
            seen = self.offsets.setdefault(key, {})
            if offset > seen.get(topic, -1):
                seen[topic] = offset
            mark = self.partition_offsets[partition]
            if offset > mark.get(topic, -1):
                mark[topic] = offset
        self._batch.clear()

    def install(self, key: EntityKey, partition: int, offsets: dict[str, int]) -> None:
        """An entity restored from a checkpoint: its partition and consumed offsets."""
        self.partition[key] = partition
        self.offsets[key] = dict(offsets)
        self.changes[key] = self.saved[key] = 0
        self.advance(partition, offsets)

    def advance(self, partition: int, offsets: dict[str, int]) -> None:
        """Raise the partition's consumed offsets to at least ``offsets``."""
        mark = self.partition_offsets[partition]
        for topic, offset in offsets.items():
            if offset > mark.get(topic, -1):
                mark[topic] = offset

    def entities(self, partition: int) -> list[EntityKey]:
        return [k for k, p in self.partition.items() if p == partition]

    def dirty(self, partition: int) -> list[EntityKey]:
        """Entities of ``partition`` changed since their last checkpoint."""
        return [k for k in self.entities(partition)
                if self.changes.get(k, 0) != self.saved.get(k, 0)]

    def mark_saved(self, key: EntityKey, change: int) -> None:
        self.saved[key] = change

    def forget(self, partition: int) -> list[EntityKey]:
        """Drop the entities of a partition this worker no longer owns; return them."""
        keys = self.entities(partition)
        for key in keys:
            for table in (self.partition, self.offsets, self.changes, self.saved):
                table.pop(key, None)
        self.partition_offsets.pop(partition, None)
        return keys
