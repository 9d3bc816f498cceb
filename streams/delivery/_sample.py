"""``tripwire alerts test``: one signed sample alert to one destination, no retries."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from tripwire_sdk import records

from sinks.webhooks import (
    Deliverer,
    DeliveryLog,
    Destination,
    MemoryDeliveryLog,
    RetryPolicy,
)

__all__ = ["sample_alert", "send_test"]


def sample_alert(now: float | None = None) -> dict:
    """A harmless firing alert used by `tripwire alerts test`."""
    now = time.time() if now is None else now
    return dict(records.alert(f"test-{int(now * 1000):x}", "model", "tripwire-test", "test",
                              "", "firing", "warning", now, 1.0, 0.0, now - 60, now,
                              {"test": True}))


async def send_test(
    destination: Destination, *, log: DeliveryLog | None = None, resolver: Any = None
) -> dict:
    """Send one signed sample alert, no retries; return status and latency."""
    dest = dataclasses.replace(destination, retry=RetryPolicy(schedule_s=()))
    async with Deliverer(
        dest, log or MemoryDeliveryLog(), on_dead_letter=lambda e: None, resolver=resolver
    ) as deliverer:
        res = await deliverer.deliver(sample_alert())
    return {
        "destination": res.destination,
        "webhook_id": res.webhook_id,
        "ok": res.ok,
        "status": res.status,
        "latency_ms": res.latency_ms,
        "error": res.error,
    }
