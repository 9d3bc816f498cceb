"""The delivery log: one row per attempt, and the question "was this id delivered?".

The service implements `DeliveryLog` on the ClickHouse table ``webhook_deliveries``; tests
use `MemoryDeliveryLog`. Rows carry names and ids only: no URL, no secret, no body.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol, runtime_checkable

__all__ = ["ROW_FIELDS", "DeliveryLog", "MemoryDeliveryLog"]

ROW_FIELDS = (
    "destination",
    "webhook_id",
    "kind",
    "entity",
    "attempt",
    "status",
    "ok",
    "latency_ms",
    "error",
    "ts",
    "refs",
)


@runtime_checkable
class DeliveryLog(Protocol):
    """Where every delivery attempt is recorded."""

    def record(self, row: dict[str, Any]) -> None:
        """Store one attempt row with the keys in ROW_FIELDS."""

    def succeeded(self, webhook_id: str, destination: str) -> bool:
        """True if an attempt for (webhook_id, destination) was recorded with ok=True."""


class MemoryDeliveryLog:
    """In-memory DeliveryLog (tests, ``tripwire alerts test``); also keeps dead letters."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.dead_letters: list[dict[str, Any]] = []
        self._ok: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def record(self, row: dict[str, Any]) -> None:
        """Append a copy of `row`; remember successes."""
        missing = set(ROW_FIELDS) - set(row)
        if missing:
            raise ValueError(f"delivery row lacks {sorted(missing)}")
        with self._lock:
            self.rows.append(dict(row))
            if row["ok"]:
                self._ok.add((row["webhook_id"], row["destination"]))

    def succeeded(self, webhook_id: str, destination: str) -> bool:
        """True once a successful attempt for the pair was recorded."""
        with self._lock:
            return (webhook_id, destination) in self._ok

    def dead_letter(self, entry: dict[str, Any]) -> None:
        """Keep a dead-letter entry (use as Deliverer's ``on_dead_letter``)."""
        with self._lock:
            self.dead_letters.append(dict(entry))

    def attempts(self, webhook_id: str, destination: str | None = None) -> list[dict[str, Any]]:
        """Rows for one webhook id (optionally one destination), in order."""
        with self._lock:
            return [
                r
                for r in self.rows
                if r["webhook_id"] == webhook_id and destination in (None, r["destination"])
            ]
