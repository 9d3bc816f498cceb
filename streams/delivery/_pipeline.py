"""Routing, noise control and offset bookkeeping of the delivery consumer (no broker needed).

`DeliveryPipeline` takes records as ``(topic, partition, offset, value)``, routes them to
destinations, runs them through noise control and starts one delivery task per notification
and destination; `OffsetTracker` says which offsets are safe to commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tripwire_sdk import names

from sinks.webhooks import (
    Deliverer,
    DeliveryLog,
    Destination,
    NoiseControl,
    Notification,
    Route,
    route,
)

__all__ = ["TOPICS", "DeliveryPipeline", "EventClock", "OffsetTracker"]

log = logging.getLogger("tripwire.delivery")
TOPICS = (names.ALERTS, names.TRIGGERS)
_KIND_BY_TOPIC = {names.ALERTS: "alert", names.TRIGGERS: "trigger"}
Token = tuple[str, int, int]  # (topic, partition, offset)


class EventClock:
    """Event time that keeps moving with the wall clock between records (watermark + elapsed)."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall, self._seen_at = wall, 0.0
        self._mark: float | None = None

    def observe(self, ts: float) -> None:
        """Advance the watermark to `ts` if it is newer."""
        if self._mark is None or ts > self._mark:
            self._mark, self._seen_at = ts, self._wall()

    def now(self) -> float:
        """Current event time."""
        wall = self._wall()
        return wall if self._mark is None else self._mark + (wall - self._seen_at)


class OffsetTracker:
    """Per (topic, partition): the offset up to which every record is finished."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, int], dict[int, int]] = {}
        self._next: dict[tuple[str, int], int] = {}
        self._committed: dict[tuple[str, int], int] = {}

    def add(self, topic: str, partition: int, offset: int, pending: int) -> None:
        """Register a record with `pending` unfinished deliveries (0 = finished)."""
        tp = (topic, partition)
        self._next[tp] = max(self._next.get(tp, 0), offset + 1)
        if pending > 0:
            self._open.setdefault(tp, {})[offset] = pending

    def done(self, token: Token) -> None:
        """One delivery of the record `token` finished (success or dead letter)."""
        topic, partition, offset = token
        waiting = self._open.get((topic, partition), {})
        if offset in waiting:
            waiting[offset] -= 1
            if waiting[offset] <= 0:
                del waiting[offset]

    @property
    def in_flight(self) -> int:
        """Records not yet finished."""
        return sum(len(w) for w in self._open.values())

    def committable(self) -> dict[tuple[str, int], int]:
        """Offsets to commit now (only those that moved since `mark_committed`)."""
        out = {}
        for tp, nxt in self._next.items():
            waiting = self._open.get(tp)
            offset = min(waiting) if waiting else nxt
            if offset > self._committed.get(tp, -1):
                out[tp] = offset
        return out

    def mark_committed(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Remember what was committed."""
        self._committed.update(offsets)

    def forget(self, tps: Iterable[tuple[str, int]]) -> None:
        """Drop partitions that were revoked."""
        for tp in tps:
            for table in (self._open, self._next, self._committed):
                table.pop(tp, None)


def _decode(topic: str, value: bytes | None) -> list[dict]:
    try:
        doc = json.loads(value or b"")
    except (ValueError, UnicodeDecodeError):
        return []
    docs = doc if isinstance(doc, list) else [doc]
    out = [d for d in docs if isinstance(d, dict)]
    for d in out:
        d.setdefault("kind", _KIND_BY_TOPIC.get(topic, "alert"))
    return out


class DeliveryPipeline:
    """Routing, noise control, concurrent delivery and offset bookkeeping (no broker)."""

    def __init__(
        self,
        destinations: Mapping[str, Destination] | Iterable[Destination],
        routes: Iterable[Route],
        log: DeliveryLog,
        *,
        deliverers: Mapping[str, Any] | None = None,
        on_dead_letter: Callable[[dict], Any] | None = None,
        wall: Callable[[], float] = time.time,
        max_in_flight_per_destination: int = 8,
    ) -> None:
        dests = (
            destinations if isinstance(destinations, Mapping) else {d.name: d for d in destinations}
        )
        self.routes, self.tracker, self.clock = list(routes), OffsetTracker(), EventClock(wall)
        self.deliverers = dict(
            deliverers
            or {n: Deliverer(d, log, on_dead_letter=on_dead_letter) for n, d in dests.items()}
        )
        self.noise = {n: NoiseControl.for_destination(d) for n, d in dests.items()}
        self._limits = {n: asyncio.Semaphore(max_in_flight_per_destination) for n in dests}
        self._chains: dict[tuple[str, ...], asyncio.Task] = {}
        self._tasks: set[asyncio.Task] = set()
        self.skipped = 0

    def handle(self, topic: str, partition: int, offset: int, value: bytes | None) -> None:
        """Route one Kafka record and offer it to each destination's noise control."""
        records = _decode(topic, value)
        if not records:
            self.skipped += 1
            log.warning("skipping undecodable record %s[%d]@%d", topic, partition, offset)
        queued = 0
        for rec in records:
            self.clock.observe(float(rec.get("ts") or 0.0))
            for name in route(rec, self.routes):
                if name in self.noise:
                    queued += self.noise[name].offer(rec, (topic, partition, offset)) == "queued"
        self.tracker.add(topic, partition, offset, queued)

    def tick(self) -> int:
        """Start deliveries for every notification now due; return how many started."""
        now, started = self.clock.now(), 0
        for name, noise in self.noise.items():
            for n in noise.pop_due(now):
                self._spawn(name, n)
                started += 1
        return started

    def _spawn(self, name: str, n: Notification) -> None:
        key = (name, n.kind, n.entity_type, n.entity)
        task = asyncio.create_task(self._deliver(name, n, self._chains.get(key)))
        self._chains[key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(key, t))

    def _finished(self, key: tuple[str, ...], task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if self._chains.get(key) is task:
            del self._chains[key]

    async def _deliver(self, name: str, n: Notification, prev: asyncio.Task | None) -> None:
        if prev is not None:  # keep order per (destination, kind, entity)
            await asyncio.wait([prev])
        try:
            async with self._limits[name]:
                await self.deliverers[name].deliver(n)
        except Exception:
            log.exception(
                "delivery of %s to %s crashed; counted as dead letter", n.webhook_id, name
            )
        for token in n.tokens:  # not reached when cancelled: the record stays uncommitted
            self.tracker.done(token)  # type: ignore[arg-type]

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait for running deliveries; return True if none is left."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        return not self._tasks

    async def close(self, timeout: float = 10.0) -> None:
        """Drain for up to `timeout` s, cancel the rest, close the HTTP sessions."""
        if not await self.drain(timeout):
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for d in self.deliverers.values():
            await d.close()
