"""SDK → real broker (Tansu) → real worker process → real ClickHouse engine (chDB).

Exactly-once in the store on top of at-least-once delivery: every event id is counted once,
malformed messages land in the dead letter with reasons while valid ones keep flowing, and a
worker killed with SIGKILL mid-stream loses nothing and double-counts nothing.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer
from tripwire_sdk import Emitter

pytestmark = pytest.mark.integration

MALFORMED = [
    b"{not json",
    b'{"type": "llm", "schema": 1, "event_id": "e", "ts": 1, "app": "a"}',
    b'{"type": "prediction", "schema": 1}',
    b'{"type": "prediction", "schema": 9, "event_id": "x", "ts": 1, "model": "m", '
    b'"model_version": "v", "features": {}, "prediction": 1}',
    b'{"type": "label", "schema": 1, "event_id": "l", "ts": "yesterday", "model": "m", '
    b'"prediction_id": "p", "label": 1}',
    b'{"type": "nope", "schema": 1}',
    b"\xff\xfe\x00garbage",
    b'{"type": "prediction", "schema": 1, "event_id": "big", "ts": 1, "model": "m", '
    b'"model_version": "v", "features": {"a": [1, 2]}, "prediction": 1}',
    b'"just a string"',
    b"",
]


def _emit_predictions(emitter: Emitter, n: int, start: int = 0, model: str = "churn") -> list[str]:
    ids = []
    for i in range(start, start + n):
        ids.append(emitter.prediction(
            model, {"age": 20 + i % 50, "plan": ["free", "pro"][i % 2], "spend": i * 0.5},
            i % 2, score=0.3 + (i % 5) / 10, model_version="v1", event_id=f"{model}-{i}"))
    return ids


def _send_malformed(bootstrap: str, count: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(count):
        producer.send("tripwire.predictions", key=b"churn", value=MALFORMED[i % len(MALFORMED)])
    producer.flush(10)
    producer.close()


def test_10k_events_exactly_once_and_100_malformed_to_deadletter(broker, worker_factory):
    worker = worker_factory()
    emitter = Emitter(bootstrap=broker, service="test", flush_at_exit=False)
    ids = _emit_predictions(emitter, 5000)
    _send_malformed(broker, 100)  # in the middle of the stream
    ids += _emit_predictions(emitter, 5000, start=5000)
    labels = [emitter.label("churn", pid, 1, event_id=f"label-{pid}") for pid in ids[:500]]
    assert emitter.flush(30)
    emitter.close()
    assert emitter.stats["sent"] == 10_500 and emitter.stats["dropped"] == 0
    assert len(set(ids)) == 10_000 and all(labels)

    stats = worker.wait_for(lambda s: s["predictions"] >= 10_000 and s["deadletter"] >= 100
                            and s["labels"] >= 500, timeout=90)
    time.sleep(2)  # nothing more may arrive
    stats = worker.stats()
    assert stats == {"predictions": 10_000, "labels": 500, "llm": 0, "deadletter": 100}

    dead = json.loads(_get(worker.api + "/deadletter?limit=100"))
    reasons = {d["reason"] for d in dead}
    assert len(dead) == 100 and all(d["reason"] for d in dead)
    assert any("JSON" in r or "json" in r for r in reasons), reasons
    assert any("schema" in r for r in reasons), reasons

    # The dead letters are on the topic too, with reason and original bytes.
    consumer = KafkaConsumer("tripwire.deadletter", bootstrap_servers=broker,
                             auto_offset_reset="earliest", consumer_timeout_ms=10_000)
    seen = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert len(seen) >= 100 and {"reason", "original", "source_topic", "offset"} <= set(seen[0])

    entities = json.loads(_get(worker.api + "/entities"))
    churn = entities["models"][0]
    assert churn["name"] == "churn" and churn["events"] == 10_000 and churn["labels"] == 500


def test_sigkill_mid_stream_loses_nothing_and_counts_nothing_twice(broker, worker_factory,
                                                                    tmp_path):
    data = tmp_path / "data"
    worker = worker_factory(data_dir=data)
    emitter = Emitter(bootstrap=broker, service="test", flush_at_exit=False)
    total = 20_000
    done = threading.Event()

    def produce() -> None:
        for start in range(0, total, 1000):
            _emit_predictions(emitter, 1000, start=start, model="fraud")
            time.sleep(0.05)
        done.set()

    thread = threading.Thread(target=produce)
    thread.start()
    worker.wait_for(lambda s: s["predictions"] >= 2000, timeout=60, every=0.1)
    worker.kill()  # SIGKILL: no commit, no flush, no goodbye
    thread.join()
    assert emitter.flush(30)
    emitter.close()
    assert emitter.stats["sent"] == total

    restarted = worker_factory(data_dir=data)
    stats = restarted.wait_for(lambda s: s["predictions"] >= total, timeout=120)
    time.sleep(3)
    final = restarted.stats()
    assert final["predictions"] == total == stats["predictions"]
    # Nothing was dead-lettered (the periodic "0 dead letters" progress line is no evidence).
    assert final["deadletter"] == 0
    assert "[WARNING] dead letter" not in restarted.log_tail(20_000)


def _get(url: str) -> bytes:
    import urllib.request
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()
