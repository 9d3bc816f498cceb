"""A six-model stream with known change points, sent to a real broker, and what to compare the
workers' outputs with: ``tripwire replay``'s monitor on the same events (in-process)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from tripwire_sdk import names
from tripwire_sdk.events import validate

from streams.monitor import Monitor
from tripwire.synth import T0, merge, model_stream

RATE = 50.0  # predictions per second of event time, per model
N = 9_000  # predictions per model
WINDOW_S = 1_000 / RATE  # one drift window of event time
MODELS = {f"m{i}": 5_200 + 350 * i for i in range(6)}  # model -> prediction index of its change


@dataclass
class Stream:
    events: list[dict[str, Any]]

    @classmethod
    def build(cls) -> Stream:
        parts = [model_stream(N, model=name, change_at=change, seed=20 + i, rate=RATE)
                 for i, (name, change) in enumerate(MODELS.items())]
        return cls([validate(e) for e in merge(*parts)])

    def before(self, share: float) -> list[dict[str, Any]]:
        return self.events[:int(len(self.events) * share)]

    def after(self, share: float) -> list[dict[str, Any]]:
        return self.events[int(len(self.events) * share):]


def change_ts(model: str) -> float:
    return T0 + MODELS[model] / RATE


ENDS: dict[str, dict[TopicPartition, int]] = defaultdict(dict)  # bootstrap -> end offsets


def send(bootstrap: str, events: list[dict[str, Any]], per_message: int = 100) -> int:
    """Send events as the SDK does: JSON arrays keyed by model, in order per model and topic.
    Records the end offset of every partition written (``ENDS``): Tansu's ListOffsets answers
    with the last batch's base offset + 1, not the partition's true end."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    futures = []

    def flush(key: tuple[str, str]) -> None:
        batch = groups.pop(key)
        futures.append(producer.send(names.BY_EVENT_TYPE[key[1]], key=key[0].encode(),
                                     value=orjson.dumps(batch)))

    for event in events:
        key = (event["model"], event["type"])
        groups[key].append(event)
        if len(groups[key]) >= per_message:
            flush(key)
    for key in list(groups):
        flush(key)
    producer.flush(60)
    producer.close()
    ends = ENDS[bootstrap]
    for future in futures:
        meta = future.get(timeout=10)
        tp = TopicPartition(meta.topic, meta.partition)
        ends[tp] = max(ends.get(tp, 0), meta.offset + 1)
    return len(events)


def expected(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every output record of the monitor ``tripwire replay`` runs, on the same events."""
    return Monitor().observe([dict(e) for e in events])


def read_topic(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=3_000)
    try:
        return [orjson.loads(m.value) for m in consumer]
    finally:
        consumer.close()


def lag(bootstrap: str, group: str = "tripwire") -> int:
    """Messages sent by :func:`send` that the group has not committed yet."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        committed = admin.list_group_offsets({group: None}).get(group, {})
    finally:
        admin.close()
    return sum(end - (committed[tp].offset if tp in committed else 0)
               for tp, end in ENDS[bootstrap].items())


def wait_drained(bootstrap: str, timeout: float = 180.0) -> float:
    """Block until the group has committed everything on the input topics; seconds taken."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if lag(bootstrap) == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"input topics not drained in {timeout}s (lag {lag(bootstrap)})")


def by_model(records: list[dict[str, Any]], kind: str,
             metric: str | None = None) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record.get("kind", "signal") == kind and (metric is None or
                                                    record.get("metric") == metric):
            out[record["entity"]].append(record)
    return out


def drift_windows(records: list[dict[str, Any]]) -> dict[str, list[tuple[float, float, float]]]:
    """Per model, the ``drift.share`` series as (window_start, window_end, value), sorted.
    A window published twice (events redelivered after a crash are processed again; outputs
    are at-least-once) must carry the same value both times."""
    out = {}
    for model, rs in by_model(records, "signal", "drift.share").items():
        windows: dict[tuple[float, float], float] = {}
        for r in rs:
            key = (r["window_start"], r["window_end"])
            assert windows.setdefault(key, r["value"]) == r["value"], (model, key)
        out[model] = sorted((start, end, value) for (start, end), value in windows.items())
    return out


def check_against_replay(bootstrap: str, stream: Stream) -> dict[str, dict[str, float]]:
    """The workers' outputs on the topics vs replay: per model exactly one retrain trigger,
    after the change, within one window of replay's; drift windows identical (nothing lost,
    nothing counted twice); no alert state change twice. Returns the delays per model."""
    want = expected(stream.events)
    got_triggers = by_model(read_topic(bootstrap, names.TRIGGERS), "trigger")
    want_triggers = by_model(want, "trigger")
    delays = {}
    for model in MODELS:
        got = got_triggers.get(model, [])
        assert len(got) == 1, (model, got)
        replayed = want_triggers[model][0]["ts"]
        assert got[0]["ts"] >= change_ts(model), (model, got[0]["ts"], change_ts(model))
        assert abs(got[0]["ts"] - replayed) <= WINDOW_S, (model, got[0]["ts"], replayed)
        delays[model] = {"failover_s": got[0]["ts"] - change_ts(model),
                         "replay_s": replayed - change_ts(model)}
    signals = read_topic(bootstrap, names.SIGNALS)
    assert drift_windows(signals) == drift_windows(want)
    alerts = read_topic(bootstrap, names.ALERTS)
    changes = [(a["alert_id"], a["state"], a["ts"]) for a in alerts]
    assert len(changes) == len(set(changes)), "an alert state change was published twice"
    return delays
