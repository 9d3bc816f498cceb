"""The background thread: owns the KafkaProducer, batches queued events and sends them.

The producer is created lazily on this thread and re-tried with exponential backoff while the
broker is unreachable; meanwhile events stay queued (up to ``max_queue``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from ._encode import encode_messages
from ._pipe import Item, Pipe
from ._ratelog import RateLimitedLog, logger
from ._schema import Limits

_IDLE_WAIT = 1.0  # seconds between idle checks (a put into an empty queue wakes us at once)
_BACKOFF_MIN, _BACKOFF_MAX = 0.5, 30.0
_MESSAGE_MARGIN = 1024  # room for the Kafka record overhead and the key
_TAKE = 5000  # events per round, so that flush and close are noticed quickly



def producer_settings(bootstrap: str, service: str | None, limits: Limits,
                      linger_ms: int, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """KafkaProducer keyword arguments: safe defaults, then the caller's overrides."""
    settings: dict[str, Any] = {
        "bootstrap_servers": [s.strip() for s in bootstrap.split(",") if s.strip()],
        "client_id": f"tripwire-sdk-{service or 'app'}",
        "acks": "all",
        "linger_ms": min(max(int(linger_ms), 0), 50),
        "max_block_ms": 2000,
        "bootstrap_timeout_ms": 2000,
        "max_request_size": max(1_048_576, limits.max_message_bytes + 64 * 1024),
        # Several of our messages per Kafka record batch: kafka-python's network thread
        # spends ~1 ms of CPU per request, whatever its size (measured: half the CPU at 1 MB).
        "batch_size": max(16_384, limits.max_message_bytes),
        "metrics_enabled": False,
    }
    for key, value in (overrides or {}).items():
        if key not in ("key_serializer", "value_serializer"):  # we send bytes
            settings[key] = value
    return settings


class Sender(threading.Thread):
    """Connects (lazily, with backoff), drains the pipe, packs and sends JSON-array messages."""

    def __init__(self, pipe: Pipe, settings: dict[str, Any], limits: Limits,
                 batch_size: int, linger_ms: int, log: RateLimitedLog) -> None:
        super().__init__(name="tripwire-sdk-sender", daemon=True)
        self.pipe, self.settings, self.log = pipe, settings, log
        self.batch_size = batch_size
        self.linger = max(linger_ms, 0) / 1000.0
        cap = min(limits.max_message_bytes, settings["max_request_size"])
        self.max_message_bytes = max(cap - _MESSAGE_MARGIN, 1024)
        self.max_event_bytes = limits.max_event_bytes
        self.producer: Any = None
        self.close_timeout = 5.0  # Emitter.close() sets what is left of its own timeout
        self.first_attempt = threading.Event()  # the first connection attempt has ended
        self._backoff = _BACKOFF_MIN

    def run(self) -> None:
        pipe = self.pipe
        try:
            while self._wait_for_work():
                if self.producer is None and not self._connect():
                    continue
                self._send(pipe.take(_TAKE))
                if not pipe.queue:
                    pipe.urgent.clear()
        except Exception as err:  # a bug must not hurt the host: count what is left as dropped
            logger.error("tripwire_sdk: sender stopped after %s", type(err).__name__)
            pipe.abandon()
        finally:
            self._close_producer()

    def _wait_for_work(self) -> bool:
        """Wait for events (then linger to fill batches); False when it is time to exit."""
        pipe = self.pipe
        while not pipe.queue:
            if pipe.stopping.is_set():
                return False
            pipe.wake.wait(_IDLE_WAIT)
            pipe.wake.clear()
        if pipe.stopping.is_set() and self.producer is None:
            return False  # closing without a connection: Emitter.close() counts the rest
        if self.producer is not None and len(pipe.queue) < self.batch_size:
            if not pipe.urgent.is_set():
                pipe.urgent.wait(self.linger)
        return True

    def connect_timeout(self) -> float:
        """Seconds one connection attempt may block (bootstrap_timeout_ms, plus a margin)."""
        return float(self.settings.get("bootstrap_timeout_ms", 2000)) / 1000.0 + 0.5

    def _connect(self) -> bool:
        try:
            from kafka import KafkaProducer  # imported here: keeps `import tripwire_sdk` light

            producer = KafkaProducer(**self.settings)  # blocks up to bootstrap_timeout_ms
        except Exception as err:
            self.first_attempt.set()
            self.log.warn("connect", "tripwire_sdk: Kafka unreachable (%(detail)s), "
                          "%(count)d attempts; events stay queued up to max_queue",
                          detail=describe(err))
            self.pipe.stopping.wait(self._backoff)
            self._backoff = min(self._backoff * 2, _BACKOFF_MAX)
            return False
        _unregister_atexit(producer)  # our own atexit hook flushes first, then closes it
        self.producer, self._backoff = producer, _BACKOFF_MIN
        self.first_attempt.set()
        return not self.pipe.abandoned

    def _send(self, items: Iterable[Item]) -> None:
        for (topic, key), parts in _grouped(items).items():
            kbytes = key.encode("utf-8", "surrogatepass")
            packed = encode_messages(parts, self.batch_size, self.max_message_bytes,
                                     self.max_event_bytes)
            if packed.rejected:
                self._rejected(packed.rejected, packed.reason)
            if packed.dropped:
                self._failed(packed.dropped, ValueError("event larger than max_message_bytes"))
            for payload, n in packed.messages:
                self._produce(topic, kbytes, payload, n)

    def _produce(self, topic: str, key: bytes, payload: bytes, n: int) -> None:
        if self.pipe.abandoned:
            return
        try:
            future = self.producer.send(topic, value=payload, key=key)
        except Exception as err:  # buffer full for max_block_ms, metadata timeout, closed...
            self._failed(n, err)
            return
        future.add_callback(self._delivered, n)
        future.add_errback(self._failed, n)

    def _delivered(self, n: int, _metadata: Any) -> None:
        self.pipe.settle(n, ok=True)

    def _failed(self, n: int, err: Any) -> None:
        self.pipe.settle(n, ok=False)
        self.log.warn("send", "tripwire_sdk: %(count)d events dropped, Kafka send failed "
                      "(%(detail)s)", n=n, detail=describe(err))

    def _rejected(self, n: int, reason: str) -> None:
        """Events handed over unencoded (``_defer``) that are invalid after all."""
        self.pipe.reject(n)
        self.log.warn("invalid", "tripwire_sdk: %(count)d invalid events not sent "
                      "(last: %(detail)s)", n=n, detail=reason)

    def _close_producer(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            try:
                producer.close(timeout=max(self.close_timeout, 0.0))
            except Exception:
                pass


_TOPIC_KEY, _DATA = itemgetter(0, 1), itemgetter(2)


def _grouped(items: Iterable[Item]) -> dict[tuple[str, str], list[bytes | dict]]:
    """Event data per (topic, key), in queue order; one pass in C when all share one key."""
    keys = set(map(_TOPIC_KEY, items))
    if len(keys) == 1:
        return {keys.pop(): list(map(_DATA, items))}
    groups: dict[tuple[str, str], list[bytes | dict]] = {key: [] for key in keys}
    for topic, key, data in items:
        groups[topic, key].append(data)
    return groups


def _unregister_atexit(producer: Any) -> None:
    """kafka-python closes producers at exit with 1 s; that would run before our flush."""
    try:
        producer._unregister_cleanup()
    except Exception:
        pass


def describe(err: Any) -> str:
    """Exception type, plus kafka's own message (it names brokers, never credentials)."""
    name = type(err).__name__
    if not type(err).__module__.startswith("kafka"):
        return name
    text = str(err)[:200]
    return text if text.startswith(name) else f"{name}: {text}"
