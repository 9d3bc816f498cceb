"""The bounded hand-off between caller threads and the sender thread, with the counters.

Invariant (under ``lock``): ``emitted == sent + dropped + queued`` where ``queued`` counts the
events in the deque, the ones the sender holds and the ones awaiting a Kafka callback. Every
event is settled exactly once; after ``abandon()`` late callbacks are ignored.
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
        self.lock = threading.Lock()
        self.settled = threading.Condition(self.lock)  # notified when sent/dropped grow
        self.queue: deque[Item] = deque()
        self.emitted = self.sent = self.dropped = self.invalid = 0
        self.wake = threading.Event()  # events arrived, or stop requested
        self.urgent = threading.Event()  # flush/close requested: skip the linger
        self.stopping = threading.Event()  # the sender should finish and exit
        self.closed = False  # no new events are accepted
        self.abandoned = False  # close() gave up waiting: leftovers were counted as dropped

    def put(self, item: Item) -> bool:
        """Queue one encoded event from a caller thread. False (counted as dropped) when closed
        or when ``max_queue`` events are already unsettled (queued or in Kafka's buffer)."""
        with self.lock:
            emitted = self.emitted = self.emitted + 1
            if self.closed or emitted - self.sent - self.dropped > self.max_queue:
                self.dropped += 1
                return False
            queue = self.queue
            queue.append(item)
            if len(queue) > 1:  # the sender was woken by the first one
                return True
        self.wake.set()
        return True

    def drop_call(self) -> None:
        """Count a call that could not be queued at all (no-op or closed emitter)."""
        with self.lock:
            self.emitted += 1
            self.dropped += 1

    def count_invalid(self) -> None:
        with self.lock:
            self.invalid += 1

    def take(self, limit: int) -> list[Item] | deque[Item]:
        """Take up to ``limit`` items (sender thread): the whole queue at once (a new empty one
        takes its place) unless it holds more, then one by one without blocking callers."""
        with self.lock:
            queue = self.queue
            if len(queue) <= limit:
                self.queue = deque()
                return queue
        popleft = queue.popleft
        taken: list[Item] = []
        try:
            for _ in range(limit):
                taken.append(popleft())
        except IndexError:  # abandon() emptied it meanwhile
            pass
        return taken

    def settle(self, n: int, ok: bool) -> None:
        """Record the outcome of ``n`` events taken by the sender."""
        with self.lock:
            if self.abandoned:
                return
            if ok:
                self.sent += n
            else:
                self.dropped += n
            self.settled.notify_all()

    def wait_settled(self, target: int, timeout: float) -> bool:
        """Block until ``sent + dropped >= target`` or the timeout; True when reached."""
        with self.lock:
            return self.settled.wait_for(lambda: self.sent + self.dropped >= target, timeout)

    def abandon(self) -> int:
        """Count everything not yet settled as dropped; ignore later outcomes. Returns the count."""
        with self.lock:
            self.closed = True
            self.abandoned = True
            self.queue.clear()
            lost = self.emitted - self.sent - self.dropped
            self.dropped += lost
            self.settled.notify_all()
        return lost

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "emitted": self.emitted,
                "sent": self.sent,
                "dropped": self.dropped,
                "invalid": self.invalid,
                "queued": self.emitted - self.sent - self.dropped,
            }
