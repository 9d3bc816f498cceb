"""Delivery consumer: `tripwire.alerts` + `tripwire.triggers` -> routes -> noise -> webhooks.

A plain aiokafka consumer (not Faust) so it can be restarted and scaled on its own. A record's
offset is committed only after each of its deliveries succeeded or was dead-lettered, so the
guarantee is at-least-once; deterministic webhook ids, the delivery log's `succeeded` check
and receivers that dedupe by id make the repeats harmless.

`DeliveryPipeline` (``_pipeline``) holds the routing/noise/commit logic and is driven by
`run_delivery` (``_consumer``); it needs no broker, so tests feed it records directly or
through a fake consumer. ``_sample`` is ``tripwire alerts test``.
"""

from ._consumer import run_delivery
from ._pipeline import TOPICS, DeliveryPipeline, EventClock, OffsetTracker
from ._sample import sample_alert, send_test

__all__ = [
    "TOPICS",
    "DeliveryPipeline",
    "EventClock",
    "OffsetTracker",
    "run_delivery",
    "sample_alert",
    "send_test",
]
