"""Two adjustments to faust-streaming 0.15's Kafka consumer, applied once at app creation.

* **Co-partitioned assignment.** Without standby replicas Faust hands partitions out with
  aiokafka's round-robin assignor, which deals ``predictions[p]`` and ``labels[p]`` to different
  workers: a model's labels would miss its predictions and its state would have no single
  owner. Range assignment over topics with equal partition counts gives each worker the same
  partition numbers of every topic (Kafka's classic co-partitioning), balanced.
* **Fetch wait.** Faust creates its consumer with ``fetch_max_wait_ms=1500``. Apache Kafka
  answers a waiting fetch as soon as data arrives, but the embedded broker (Tansu) holds it for
  ~450 ms (measured: 450 ms from produce to receive at 1,500, 4-15 ms at 50), which was most of
  an event's way to the store. 50 ms costs an idle worker ~20 empty fetches a second.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FETCH_MAX_WAIT_MS", "adjust_consumer"]

FETCH_MAX_WAIT_MS = 50
_done = False


def adjust_consumer() -> None:
    """Apply both adjustments (idempotent)."""
    global _done
    if _done:
        return
    import faust.transport.drivers.aiokafka as driver
    from aiokafka.coordinator.assignors.range import RangePartitionAssignor

    driver.RoundRobinPartitionAssignor = RangePartitionAssignor  # type: ignore[misc]
    thread = driver.AIOKafkaConsumerThread
    create = thread._create_worker_consumer

    def short_fetch_wait(self: Any, *args: Any, **kwargs: Any) -> Any:
        consumer = create(self, *args, **kwargs)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the consumer starts
        return consumer

    thread._create_worker_consumer = short_fetch_wait  # type: ignore[method-assign]
    _done = True
