"""The bounded hand-off between caller threads and the sender thread, with the counters.

Callers append to a deque without taking the lock (``deque.append`` is atomic; the lock costs
a call ~0.5 us): only the sender removes items, and it counts what it removes as ``in_flight``
under the lock *before* removing them, so ``len(queue) + in_flight`` never undercounts what is
unsettled. ``emitted`` is not a counter of its own but ``sent + dropped + queued`` with
``queued = len(queue) + in_flight`` (the events in the deque, the ones the sender holds and the
ones awaiting a Kafka callback): the invariant holds by construction. Every event is settled
exactly once: sent, dropped, or ``rejected`` (found invalid only when the sender encoded it: it
then moves from ``emitted`` to ``invalid``). After ``abandon()`` late callbacks are ignored, and
an event that a caller racing ``close()`` appends afterwards counts as dropped.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

# (topic, key, event): encoded, or a dict left to the sender to encode (see _defer)
Item = tuple[str, str, "bytes | dict[str, Any]"]


class Pipe:
    """State shared by one Emitter (callers) and its Sender (background thread)."""

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        self.lock = threading.Lock()  # guards the counters; callers' appends do not take it
        self.settled = threading.Condition(self.lock)  # notified when sent/dropped grow
        self.queue: deque[Item] = deque()
        self.in_flight = 0  # taken by the sender, not settled yet
        self.sent = self.dropped = self.invalid = 0
        self.rejected = 0  # invalid, found by the sender (see _defer); part of ``invalid``
        self.wake = threading.Event()  # events arrived, or stop requested
        self.urgent = threading.Event()  # flush/close requested: skip the linger
        self.stopping = threading.Event()  # the sender should finish and exit
        self.closed = False  # no new events are accepted
        self.abandoned = False  # close() gave up waiting: leftovers were counted as dropped

    def put(self, item: Item) -> bool:
        """Queue one encoded event from a caller thread. False (counted as dropped) when closed
        or when ``max_queue`` events are already unsettled (queued or in Kafka's buffer); with
        several callers at the bound it may be passed by one event per racing thread."""
        queue = self.queue
        if self.closed or len(queue) + self.in_flight >= self.max_queue:
            with self.lock:
                self.dropped += 1
            return False
        was_empty = not queue
        queue.append(item)
        if was_empty:
            self.wake.set()
        return True

    def drop_call(self) -> None:
        """Count a call that could not be queued at all (no-op or closed emitter)."""
        with self.lock:
            self.dropped += 1

    def count_invalid(self) -> None:
        with self.lock:
            self.invalid += 1

    def take(self, limit: int) -> list[Item]:
        """Remove up to ``limit`` items (sender thread only); callers are not blocked."""
        queue = self.queue
        with self.lock:
            n = min(limit, len(queue))
            self.in_flight += n  # counted before they leave the deque: never undercounted
        popleft = queue.popleft
        try:
            return [popleft() for _ in range(n)]
        except IndexError:  # abandon() emptied it meanwhile (and counted these)
            return []

    def settle(self, n: int, ok: bool) -> None:
        """Record the outcome of ``n`` events taken by the sender."""
        with self.lock:
            if self.abandoned:
                return
            self.in_flight -= n
            if ok:
                self.sent += n
            else:
                self.dropped += n
            self.settled.notify_all()

    def reject(self, n: int) -> None:
        """``n`` events taken by the sender turned out invalid (not encodable, too large)."""
        with self.lock:
            if self.abandoned:
                return
            self.in_flight -= n
            self.rejected += n
            self.settled.notify_all()

    def _counts(self) -> tuple[int, int, int]:
        """(sent, dropped, queued), with ``lock`` held. After ``abandon()`` an event that a
        caller racing ``close()`` appended is dropped."""
        if self.abandoned:
            return self.sent, self.dropped + len(self.queue), 0
        return self.sent, self.dropped, len(self.queue) + self.in_flight

    def accepted(self) -> int:
        """Events accepted from callers so far, settled or not (call with ``lock`` held)."""
        sent, dropped, queued = self._counts()
        return sent + dropped + self.rejected + queued

    def wait_settled(self, target: int, timeout: float) -> bool:
        """Block until ``target`` accepted events are settled, or the timeout; True when so."""
        def done() -> bool:
            sent, dropped, _queued = self._counts()
            return sent + dropped + self.rejected >= target

        with self.lock:
            return self.settled.wait_for(done, timeout)

    def abandon(self) -> int:
        """Count everything not yet settled as dropped; ignore later outcomes. Returns the count."""
        with self.lock:
            self.closed = True
            self.abandoned = True
            lost = len(self.queue) + self.in_flight
            self.queue.clear()
            self.in_flight = 0
            self.dropped += lost
            self.settled.notify_all()
        return lost

    def stats(self) -> dict[str, Any]:
        with self.lock:
            sent, dropped, queued = self._counts()
            return {
                "emitted": sent + dropped + queued,
                "sent": sent,
                "dropped": dropped,
                "invalid": self.invalid + self.rejected,
                "queued": queued,
            }
