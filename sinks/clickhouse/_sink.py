"""The worker's way into the store: a batch is written whole, or the sink says why not.

Quix Streams' sink contract: :meth:`ClickHouseSink.write` writes all of a batch or raises
:class:`~sinks.clickhouse.StoreError`, whose ``transient`` says whether trying again can help.
:meth:`ClickHouseSink.write_async` applies the retry policy the stream needs: the insert runs in
a thread (chDB releases the GIL), a transient failure is retried with exponential backoff (the
stream waits; nothing is lost), and a batch the store rejects as data is logged, counted and
dropped (retrying it forever would stall every event behind it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sinks.clickhouse._store import ClickHouseStore, StoreError
from sinks.clickhouse._table import Table

__all__ = ["Backoff", "ClickHouseSink"]

log = logging.getLogger("tripwire.store")


@dataclass(frozen=True)
class Backoff:
    """Waits between attempts: ``first``, doubling, at most ``longest`` seconds."""

    first: float = 0.5
    longest: float = 30.0

    def delays(self) -> Any:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.longest)


class ClickHouseSink:
    """Batches into one :class:`ClickHouseStore` (see the module docstring)."""

    def __init__(self, store: ClickHouseStore, backoff: Backoff | None = None) -> None:
        self.store = store
        self.backoff = backoff or Backoff()
        self.counters: dict[str, float] = {"rows": 0, "rejected": 0, "retries": 0,
                                           "cpu_s": 0.0}

    def write(self, table: Table, records: Sequence[dict[str, Any]]) -> int:
        """Write the whole batch or raise :class:`StoreError`. ``counters["cpu_s"]`` adds the
        calling thread's CPU time (the engine runs in it)."""
        started = time.thread_time()
        try:
            written = self.store.insert(table, records)
        finally:
            self.counters["cpu_s"] += time.thread_time() - started
        self.counters["rows"] += written
        return written

    async def write_async(self, table: Table, records: Sequence[dict[str, Any]]) -> int:
        """:meth:`write` in a thread, retried while the failure is transient."""
        if not records:
            return 0
        loop = asyncio.get_running_loop()
        for delay in self.backoff.delays():
            try:
                return await loop.run_in_executor(None, self.write, table, records)
            except StoreError as exc:
                if not exc.transient:
                    log.error("store rejected %d rows for %s, skipped: %s", len(records),
                              table.name, exc)
                    self.counters["rejected"] += len(records)
                    return 0
                self.counters["retries"] += 1
                log.error("store write of %d rows to %s failed, retrying in %.1fs: %s",
                          len(records), table.name, delay, exc)
                await asyncio.sleep(delay)
        return 0  # pragma: no cover - the delays never end
