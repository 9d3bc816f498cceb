"""A `DeliveryLog` on Kafka: attempt rows go to ``tripwire.deliveries`` (the worker stores
them in the ``webhook_deliveries`` table), and successes are rebuilt from that topic at start.

Kafka first, like every other Tripwire record: the delivery worker needs no store access (chDB
lets only the worker's process open the data directory), and a restarted delivery worker knows
which webhook ids were already delivered, so it does not deliver them again.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from tripwire_sdk import names

from ._log import ROW_FIELDS

__all__ = ["KafkaDeliveryLog", "DELIVERIES_TOPIC"]

log = logging.getLogger("tripwire.webhooks")

DELIVERIES_TOPIC = names.DELIVERIES


class KafkaDeliveryLog:
    """DeliveryLog that publishes rows and remembers successes (including earlier runs')."""

    def __init__(self, bootstrap: str, topic: str = DELIVERIES_TOPIC) -> None:
        from kafka import KafkaProducer

        self.topic = topic
        self._ok: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        self.dead_letters = 0
        self._load(bootstrap)

    def _load(self, bootstrap: str) -> None:
        """Read the whole topic once to learn which ids earlier runs delivered."""
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                 group_id=None, consumer_timeout_ms=2000)
        try:
            parts = [TopicPartition(self.topic, p)
                     for p in consumer.partitions_for_topic(self.topic) or ()]
            if not parts:
                return
            consumer.assign(parts)
            consumer.seek_to_beginning(*parts)
            end = consumer.end_offsets(parts)
            while any(consumer.position(tp) < end[tp] for tp in parts):
                for records in consumer.poll(timeout_ms=1000).values():
                    for message in records:
                        self._remember(json.loads(message.value))
        finally:
            consumer.close()
        log.info("delivery log: %d earlier successful deliveries loaded", len(self._ok))

    def _remember(self, row: dict[str, Any]) -> None:
        if row.get("ok"):
            with self._lock:
                self._ok.add((row["webhook_id"], row["destination"]))

    def record(self, row: dict[str, Any]) -> None:
        """Publish one attempt row (no URL, no secret, no body: see ROW_FIELDS)."""
        clean = {k: row.get(k) for k in ROW_FIELDS}
        clean["ok"] = int(bool(clean["ok"]))
        self._remember(clean)
        self._producer.send(self.topic, key=str(clean["webhook_id"]).encode(),
                            value=json.dumps(clean).encode())

    def succeeded(self, webhook_id: str, destination: str) -> bool:
        with self._lock:
            return (webhook_id, destination) in self._ok

    def dead_letter(self, entry: dict[str, Any]) -> None:
        """Record a give-up as a row with status -1 (shown as 'dead letter' in the UI)."""
        self.dead_letters += 1
        log.error("webhook %s to %s gave up after %s attempts: %s", entry.get("webhook_id"),
                  entry.get("destination"), entry.get("attempts"), entry.get("error"))
        self.record({"destination": entry.get("destination"),
                     "webhook_id": entry.get("webhook_id"), "kind": entry.get("kind"),
                     "entity": entry.get("entity"), "attempt": entry.get("attempts") or 0,
                     "status": -1, "ok": False, "latency_ms": 0.0,
                     "error": f"dead letter: {entry.get('error')}", "ts": entry.get("ts"),
                     "refs": entry.get("refs") or []})

    def close(self) -> None:
        self._producer.flush(10)
        self._producer.close(10)
