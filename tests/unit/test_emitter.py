"""tripwire_sdk.Emitter without a broker: a fake KafkaProducer stands in for kafka-python."""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
import warnings

import pytest
import tripwire_sdk._lifecycle as lifecycle_module
from tripwire_sdk import Emitter, Limits
from tripwire_sdk.events import TOPICS, decode_message

FEATURES = {f"f{i}": i * 0.5 for i in range(20)}
TS = 1_767_323_045.0  # 2026-01-02T03:04:05Z


def uuid_version(hex_id: str) -> int:
    import uuid

    return uuid.UUID(hex_id).version


class FakeFuture:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def add_callback(self, fn, *args):
        if self.error is None:
            fn(*args, "metadata")
        return self

    def add_errback(self, fn, *args):
        if self.error is not None:
            fn(*args, self.error)
        return self


class FakeProducer:
    """Records sends; fails them when ``fail`` is set; ``raise_on_send`` raises from send()."""

    instances: list[FakeProducer] = []
    fail: Exception | None = None
    raise_on_send = False
    refuse_connect = False

    def __init__(self, **config) -> None:
        if FakeProducer.refuse_connect:
            raise ConnectionError("no broker")
        self.config = config
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.closed = False
        FakeProducer.instances.append(self)

    def send(self, topic, value=None, key=None):
        if FakeProducer.raise_on_send:
            raise RuntimeError("buffer full")
        self.sent.append((topic, key, value))
        return FakeFuture(FakeProducer.fail)

    def close(self, timeout=None):
        self.closed = True

    def _unregister_cleanup(self):
        pass


@pytest.fixture
def fake_kafka(monkeypatch):
    with warnings.catch_warnings():  # kafka-python 3.0 warns about importlib.resources
        warnings.simplefilter("ignore", DeprecationWarning)
        import kafka

    FakeProducer.instances = []
    FakeProducer.fail = None
    FakeProducer.raise_on_send = False
    FakeProducer.refuse_connect = False
    monkeypatch.setattr(kafka, "KafkaProducer", FakeProducer)
    monkeypatch.delenv("TRIPWIRE_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("TRIPWIRE_SERVICE", raising=False)
    return FakeProducer


def messages(topic: str | None = None) -> list[tuple[str, bytes, bytes]]:
    return [m for p in FakeProducer.instances for m in p.sent if topic in (None, m[0])]


def sent_events() -> list[dict]:
    out = []
    for _topic, _key, value in messages():
        good, bad = decode_message(value)
        assert bad == []
        out.extend(good)
    return out


def balanced(stats: dict) -> bool:
    return stats["emitted"] == stats["sent"] + stats["dropped"] + stats["queued"]


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


# -- configuration -------------------------------------------------------------------------

def test_unconfigured_emitter_is_a_noop_that_warns_once(monkeypatch, caplog):
    monkeypatch.delenv("TRIPWIRE_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setattr(lifecycle_module, "_warned_noop", False)
    with caplog.at_level(logging.WARNING, logger="tripwire_sdk"):
        first, second = Emitter(), Emitter(service="svc")
    assert len([r for r in caplog.records if "no Kafka bootstrap" in r.getMessage()]) == 1
    assert first.prediction("m", FEATURES, 1) == ""
    assert first.label("m", "p", 1) == "" and first.llm("a", "v", "m", "p", "r") == ""
    assert first.stats == {"emitted": 3, "sent": 0, "dropped": 3, "invalid": 0, "queued": 0}
    assert first.flush(0.1) is True
    first.close()
    second.close()
    assert first.dropped == 3 and first.sent == 0 and first.emitted == 3
    assert threading.active_count() < 50


def test_config_resolves_argument_then_environment(fake_kafka, monkeypatch):
    monkeypatch.setenv("TRIPWIRE_KAFKA_BOOTSTRAP", "envhost:9092")
    monkeypatch.setenv("TRIPWIRE_SERVICE", "env-svc")
    em = Emitter(producer_config={"client_id": "mine", "value_serializer": str})
    em.prediction("m", FEATURES, 1)
    assert em.flush(5)
    em.close()
    config = fake_kafka.instances[0].config
    assert config["bootstrap_servers"] == ["envhost:9092"] and config["client_id"] == "mine"
    assert config["acks"] == "all" and "value_serializer" not in config
    assert config["max_block_ms"] <= 2000
    assert sent_events()[0]["service"] == "env-svc"

    fake_kafka.instances.clear()
    em = Emitter(["a:1", "b:2"], "arg-svc")
    em.label("m", "p", 0)
    assert em.flush(5)
    em.close()
    assert fake_kafka.instances[0].config["bootstrap_servers"] == ["a:1", "b:2"]
    assert sent_events()[0]["service"] == "arg-svc"


# -- sending ----------------------------------------------------------------------------------

def test_events_are_batched_by_topic_and_key(fake_kafka):
    em = Emitter("x:1", "svc", batch_size=100, linger_ms=5)
    ids = [em.prediction(f"m{i % 2}", FEATURES, i % 2, score=0.5) for i in range(450)]
    ids += [em.label("m0", ids[i], 1) for i in range(30)]
    ids += [em.llm("app", "v1", "gpt", "q", "a", usage={"input_tokens": 1, "output_tokens": 2})
            for _ in range(20)]
    assert all(ids) and len(set(ids)) == 500
    assert em.flush(10)
    em.close()
    assert em.stats == {"emitted": 500, "sent": 500, "dropped": 0, "invalid": 0, "queued": 0}
    for topic, key, value in messages():
        batch = json.loads(value)
        assert isinstance(batch, list) and 1 <= len(batch) <= 100
        assert {e["type"] for e in batch} == {next(t for t, n in TOPICS.items() if n == topic)}
        assert {e.get("model", e.get("app")) for e in batch} == {key.decode()}
    assert sorted(e["event_id"] for e in sent_events()) == sorted(ids)
    assert {m[0] for m in messages()} == set(TOPICS.values())


def test_messages_stay_below_max_message_bytes(fake_kafka):
    em = Emitter("x:1", limits=Limits(max_message_bytes=20_000), batch_size=500)
    for i in range(200):
        em.prediction("m", {"text": "x" * 900, "i": i}, 1)
    assert em.flush(10)
    em.close()
    sizes = [len(v) for _t, _k, v in messages()]
    assert len(sizes) > 5 and max(sizes) <= 20_000
    assert len(sent_events()) == 200 and em.sent == 200


def test_oversized_or_unserializable_events_are_invalid(fake_kafka):
    em = Emitter("x:1", limits=Limits(max_event_bytes=2_000))
    assert em.prediction("m", {"text": "x" * 5_000}, 1) == ""
    assert em.prediction("m", {"obj": object()}, 1) == ""
    assert em.prediction("m", {"text": "small"}, 1)
    assert em.flush(5)
    em.close()
    assert em.stats == {"emitted": 1, "sent": 1, "dropped": 0, "invalid": 2, "queued": 0}


@pytest.mark.parametrize("use_orjson", [True, False])
def test_encoding_with_and_without_orjson(monkeypatch, use_orjson):
    import tripwire_sdk._encode as encode_module
    from tripwire_sdk.events import make_llm, make_prediction

    if not use_orjson:
        monkeypatch.setattr(encode_module, "_orjson", None)
    elif encode_module._orjson is None:
        pytest.skip("orjson not installed")
    event = make_prediction("m", {"a": math.nan, "b": 1.5, "c": "é", "d": None}, 1, score=0.5)
    data = encode_module.encode_event(event)
    assert json.loads(data)["features"] == {"a": None, "b": 1.5, "c": "é", "d": None}
    assert decode_message(data)[0][0]["event_id"] == event["event_id"]
    odd = make_llm("app", "v", "m", "lone \ud800 surrogate", "ok")
    assert json.loads(encode_module.encode_event(odd))["prompt"] == "lone \ud800 surrogate"
    assert encode_module.encode_event({"type": "label", "x": object()}) is None


def test_caller_dict_is_copied_and_nan_features_become_null(fake_kafka):
    em = Emitter("x:1")
    feats = {"a": 1.0, "b": math.nan, "c": -math.inf}
    em.prediction("m", feats, 1)
    feats["a"] = 99.0
    assert em.flush(5)
    em.close()
    assert sent_events()[0]["features"] == {"a": 1.0, "b": None, "c": None}


def test_numpy_values_are_serialized(fake_kafka):
    np = pytest.importorskip("numpy")
    em = Emitter("x:1")
    em.prediction("m", {"a": np.float32(1.5), "b": np.int64(7), "c": np.nan}, np.int64(1),
                  score=np.float64(0.25))
    assert em.flush(5)
    em.close()
    event = sent_events()[0]
    assert event["features"] == {"a": 1.5, "b": 7, "c": None} and event["prediction"] == 1


def test_send_errors_count_as_dropped(fake_kafka, caplog):
    fake_kafka.fail = TimeoutError("delivery timed out")
    em = Emitter("x:1")
    with caplog.at_level(logging.WARNING, logger="tripwire_sdk"):
        for _ in range(10):
            em.prediction("m", FEATURES, 1)
        assert em.flush(5)
    em.close()
    assert em.stats == {"emitted": 10, "sent": 0, "dropped": 10, "invalid": 0, "queued": 0}
    assert any("Kafka send failed" in r.getMessage() for r in caplog.records)

    fake_kafka.fail, fake_kafka.raise_on_send = None, True
    em = Emitter("x:1")
    em.label("m", "p", 1)
    assert em.flush(5)
    em.close()
    assert em.sent == 0 and em.dropped == 1


def test_logs_never_contain_event_contents(fake_kafka, caplog):
    fake_kafka.fail = TimeoutError("x")
    secret = "alice@example.com"
    with caplog.at_level(logging.DEBUG, logger="tripwire_sdk"):
        em = Emitter("x:1", max_queue=1)
        em.prediction("m", {"email": secret}, 1)
        em.prediction("m", {"email": secret}, 1)
        em.prediction("m", [secret], 1)
        em.llm("a", "v", "m", secret, secret, feedback=secret)  # type: ignore[arg-type]
        em.flush(2)
        em.close()
    assert caplog.records and all(secret not in r.getMessage() for r in caplog.records)


# -- never raises, counts everything ----------------------------------------------------------

class Hostile(dict):
    def __len__(self):
        raise RuntimeError("hostile mapping")


@pytest.mark.parametrize("call", [
    lambda e: e.prediction(None, FEATURES, 1),
    lambda e: e.prediction("m", None, 1),
    lambda e: e.prediction("m", [1, 2], 1),
    lambda e: e.prediction("m", Hostile(), 1),
    lambda e: e.prediction("m", FEATURES, None),
    lambda e: e.prediction("m", FEATURES, math.nan),
    lambda e: e.prediction("m", FEATURES, 1, score=3),
    lambda e: e.prediction("m", FEATURES, 1, ts="2026-01-02T03:04:05"),
    lambda e: e.prediction("m", FEATURES, 1, model_version=None),
    lambda e: e.prediction("m", FEATURES, 1, event_id=5),
    lambda e: e.prediction(object(), object(), object(), score=object()),  # type: ignore[arg-type]
    lambda e: e.label("m", None, 1),
    lambda e: e.label("m", "p", {"a": 1}),
    lambda e: e.llm("a", "v", "m", None, "r"),
    lambda e: e.llm("a", "v", "m", "p", "r", feedback=2),
    lambda e: e.llm("a", "v", "m", "p", "r", usage={"input_tokens": -1, "output_tokens": 0}),
    lambda e: e.llm("a", "v", "m", "p", "r", context="not a list"),
    lambda e: e.llm("a", "v", "m", "p", "r", latency_ms=math.inf),
])
def test_invalid_arguments_never_raise(fake_kafka, call):
    em = Emitter("x:1")
    assert call(em) == ""
    em.close()
    assert em.stats == {"emitted": 0, "sent": 0, "dropped": 0, "invalid": 1, "queued": 0}


def test_invalid_calls_log_rate_limited(fake_kafka, caplog):
    em = Emitter("x:1")
    with caplog.at_level(logging.WARNING, logger="tripwire_sdk"):
        for _ in range(100):
            em.prediction("m", FEATURES, 1, score=5)
    em.close()
    logged = [r.getMessage() for r in caplog.records if "invalid" in r.getMessage()]
    assert em.invalid == 100 and len(logged) == 1
    assert "prediction.score: expected a probability in [0, 1]" in logged[0]


def test_queue_full_drops_are_counted(fake_kafka, caplog):
    fake_kafka.refuse_connect = True  # nothing can leave the queue
    em = Emitter(closed_port(), max_queue=10)
    with caplog.at_level(logging.WARNING, logger="tripwire_sdk"):
        ids = [em.prediction("m", FEATURES, 1) for _ in range(50)]
    assert sum(1 for i in ids if i) == 10 and ids.count("") == 40
    stats = em.stats
    assert stats == {"emitted": 50, "sent": 0, "dropped": 40, "invalid": 0, "queued": 10}
    assert len([r for r in caplog.records if "queue full" in r.getMessage()]) == 1
    assert em.flush(0.2) is False
    start = time.monotonic()
    em.close(timeout=0.5)
    assert time.monotonic() - start < 2
    assert em.stats == {"emitted": 50, "sent": 0, "dropped": 50, "invalid": 0, "queued": 0}


def test_events_wait_for_a_late_broker(fake_kafka, monkeypatch):
    import tripwire_sdk._sender as sender_module

    monkeypatch.setattr(sender_module, "_BACKOFF_MIN", 0.05)
    fake_kafka.refuse_connect = True
    em = Emitter("x:1")
    for _ in range(100):
        em.prediction("m", FEATURES, 1)
    time.sleep(0.3)
    assert em.sent == 0 and em.stats["queued"] == 100
    fake_kafka.refuse_connect = False
    assert em.flush(5)
    em.close()
    assert em.stats == {"emitted": 100, "sent": 100, "dropped": 0, "invalid": 0, "queued": 0}


def _slow_connect(monkeypatch, fake_kafka, seconds: float, refuse: bool) -> None:
    original = fake_kafka.__init__

    def connect(self, **config):
        time.sleep(seconds)  # the broker answers late (a busy machine, a JVM broker)
        if refuse:
            raise ConnectionError("no broker")
        original(self, **config)

    monkeypatch.setattr(fake_kafka, "__init__", connect)


def test_exit_hook_waits_for_a_first_connection_under_way(fake_kafka, monkeypatch):
    _slow_connect(monkeypatch, fake_kafka, 0.5, refuse=False)
    em = Emitter("x:1")
    for _ in range(100):
        em.prediction("m", FEATURES, 1)
    assert em.sent == 0  # still connecting when the script ends
    em._close_at_exit()
    assert em.stats == {"emitted": 100, "sent": 100, "dropped": 0, "invalid": 0, "queued": 0}


def test_exit_hook_gives_up_after_one_failed_first_connection(fake_kafka, monkeypatch):
    _slow_connect(monkeypatch, fake_kafka, 0.3, refuse=True)
    em = Emitter("x:1")
    for _ in range(100):
        em.prediction("m", FEATURES, 1)
    start = time.monotonic()
    em._close_at_exit()
    assert time.monotonic() - start < 1.5  # one attempt, no retries, no EXIT_TIMEOUT flush
    assert em.stats["dropped"] == 100 and em.sent == 0


def test_close_is_idempotent_and_later_calls_are_dropped(fake_kafka):
    em = Emitter("x:1")
    assert em.prediction("m", FEATURES, 1)
    em.close()
    em.close()
    assert em.prediction("m", FEATURES, 1) == "" and em.label("m", "p", 1) == ""
    assert em.stats == {"emitted": 3, "sent": 1, "dropped": 2, "invalid": 0, "queued": 0}
    assert em.flush(0.1) is True
    assert fake_kafka.instances[0].closed
    with Emitter("x:1") as ctx:
        ctx.label("m", "p", 1)
    assert ctx.sent == 1


def test_counters_balance_under_concurrent_callers(fake_kafka):
    em = Emitter("x:1", max_queue=5_000, batch_size=50)
    seen: list[dict] = []

    def work():
        for i in range(2_000):
            em.prediction("m", FEATURES, i)
            if i % 500 == 0:
                seen.append(em.stats)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(balanced(s) for s in seen)
    assert em.flush(10)
    em.close()
    stats = em.stats
    assert stats["emitted"] == 8_000 and stats["emitted"] == stats["sent"] + stats["dropped"]
    assert stats["sent"] == len(sent_events())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_its_own_queue_and_thread(fake_kafka):
    em = Emitter("x:1")
    em.prediction("m", FEATURES, 1)
    assert em.flush(5)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report the child's counters, never return into pytest
        try:
            em.prediction("m", FEATURES, 1)
            ok = em.flush(5)
            os.write(write_end, json.dumps([ok, em.stats]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        ok, child_stats = json.loads(reader.read())
    os.waitpid(pid, 0)
    em.close()
    assert ok and child_stats == {"emitted": 1, "sent": 1, "dropped": 0, "invalid": 0, "queued": 0}
    assert em.stats["emitted"] == 1 and em.sent == 1


# -- the hot path: encoding on the call or on the sender, the lock-free queue -------------------

@pytest.fixture
def stdlib_json(monkeypatch):
    """As if orjson were not installed: the SDK's own dependencies only."""
    import tripwire_sdk._encode as encode_module

    monkeypatch.setattr(encode_module, "_orjson", None)


def test_without_orjson_plain_events_are_encoded_by_the_sender(fake_kafka, stdlib_json):
    from tripwire_sdk.events import make_label, make_prediction

    em = Emitter("x:1", "svc", limits=Limits(max_event_bytes=4_000))
    feats = {"a": 1.0, "b": math.nan, "c": "é\n", "d": None, "e": True, "f": 7}
    pid = em.prediction("m", feats, "yes", score=0.25, model_version="v2", event_id="p1", ts=TS)
    lid = em.label("m", pid, 0, event_id="l1", ts=TS)
    assert (pid, lid) == ("p1", "l1")
    assert isinstance(em._pipe.queue[0][2], dict)  # handed over unencoded
    assert math.isnan(feats["b"])  # the caller's dict is never touched
    assert em.prediction("m", {"obj": object()}, 1) == ""  # still invalid on the call
    assert em.prediction("m", {"text": "x" * 5_000}, 1) == ""
    assert em.llm("a", "v", "m", "q", "r") != ""  # LLM events are encoded on the call
    assert em.flush(5)
    em.close()
    assert em.stats == {"emitted": 3, "sent": 3, "dropped": 0, "invalid": 2, "queued": 0}
    expected = [make_prediction("m", {**feats, "b": None}, "yes", score=0.25, model_version="v2",
                                event_id="p1", ts=TS, service="svc"),
                make_label("m", "p1", 0, event_id="l1", ts=TS, service="svc")]
    got = {e["event_id"]: e for e in sent_events()}
    assert [got["p1"], got["l1"]] == expected


def test_unencoded_events_in_the_queue_are_bounded(fake_kafka, stdlib_json):
    from tripwire_sdk._defer import DEFER_MAX

    fake_kafka.refuse_connect = True  # nothing leaves the queue
    em = Emitter(closed_port(), max_queue=DEFER_MAX + 500)
    for i in range(DEFER_MAX + 100):
        em.prediction("m", FEATURES, i)
    kinds = [type(item[2]) for item in em._pipe.queue]
    assert kinds.count(dict) == DEFER_MAX and kinds.count(bytes) == 100
    em.close(0)
    assert em.stats["dropped"] == DEFER_MAX + 100


@pytest.mark.parametrize("use_orjson", [True, False])
def test_size_bound_holds_for_worst_case_strings(monkeypatch, use_orjson):
    import tripwire_sdk._encode as encode_module
    from tripwire_sdk._defer import _label_bound, _prediction_bound, deferrable
    from tripwire_sdk.events import make_label, make_prediction

    if not use_orjson:
        monkeypatch.setattr(encode_module, "_orjson", None)
    elif encode_module._orjson is None:
        pytest.skip("orjson not installed")
    nasty = ["\x00\x1f\"\\", "😀" * 5, "lone \ud800", "é" * 7, "x" * 300]
    for i, text in enumerate(nasty):
        feats = {text: text, f"{text}{i}": -2**63, "f": -1.2345678901234567e-308, "n": None}
        for ev in (make_prediction(text, feats, text, model_version=text, event_id=text,
                                   prediction_id=text, service=text, score=0.5, latency_ms=1e300),
                   make_prediction("m", {"a": math.inf}, -2**63, ts=-1.2345678901234567e10)):
            assert _prediction_bound(ev) >= len(encode_module.encode_event(ev))
        ev = make_label(text, text, text, event_id=text, service=text)
        assert _label_bound(ev) >= len(encode_module.encode_event(ev))
    not_plain = [{"a": 2**64, "s": ""}, {1: 1.0, "s": ""}, {"a": [1]}, {"a": object()},
                 {"a": 1.5j}, {"a": 1.5j, "s": ""}]
    for feats in not_plain:
        assert not deferrable(make_prediction("m", feats, 1), 10**9, thorough=True)
    assert not deferrable(make_prediction("m", {"a": "x" * 100}, 1), 1_000, thorough=True)
    assert not deferrable(make_prediction("m", {"a": "x"}, 1), 10**9, thorough=False)
    assert deferrable(make_prediction("m", {"a": "x"}, 1), 10**9, thorough=True)
    assert deferrable(make_prediction("m", {"a": 1, "b": 2.5, "c": True}, 1), 100, thorough=False)


def test_numbers_only_check_lets_only_plain_sums_through():
    from decimal import Decimal
    from fractions import Fraction

    from tripwire_sdk._defer import _numbers_only

    assert _numbers_only({}) and _numbers_only({"a": 1, "b": 2.5, "c": False, "d": math.nan})
    for odd in ("x", None, object(), Decimal(1), Fraction(1, 3), 1j, [1.0]):
        assert not _numbers_only({"a": odd})
    np = pytest.importorskip("numpy")
    assert not _numbers_only({"a": np.float64(1.5), "b": 2.0})  # encoded on the call instead


def test_messages_mix_encoded_and_unencoded_events():
    from tripwire_sdk._encode import encode_messages

    events = [{"type": "label", "i": i, "s": "x" * (i % 50)} for i in range(300)]
    parts = [json.dumps(e, separators=(",", ":")).encode() if i % 3 else e
             for i, e in enumerate(events)]
    messages, rejected, _reason, dropped = encode_messages(parts, 40, 2_000, 2_000)
    assert rejected == dropped == 0 and sum(n for _m, n in messages) == 300
    assert all(len(m) <= 2_000 for m, _n in messages) and max(n for _m, n in messages) <= 40
    assert [e for m, _n in messages for e in json.loads(m)] == events
    packed = encode_messages([b'{"a":1}', {"type": "label", "b": "y" * 60},
                              {"type": "label", "c": object()}, b'"' + b"z" * 60 + b'"'],
                             10, 50, 1_000)
    assert packed == ([(b'[{"a":1}]', 1)], 1, "label: event not JSON-serializable", 2)


def test_numeric_predictions_are_checked_by_the_sender(fake_kafka, caplog):
    from fractions import Fraction

    em = Emitter("x:1", limits=Limits(max_event_bytes=5_000))
    with caplog.at_level(logging.WARNING, logger="tripwire_sdk"):
        ok = em.prediction("m", {"a": 1.5, "b": 2}, 1, event_id="ok")
        odd = em.prediction("m", {"a": Fraction(1, 3), "b": 0.5}, 1)  # sums to a float
        long_names = em.prediction("m", {"n" * 3_000: 1.0, "m" * 3_000: 2.0}, 1)
        assert ok == "ok" and odd and long_names  # not caught on the call...
        assert em.flush(5)
    em.close()
    # ...but never sent: counted as invalid, logged with the reason
    assert em.stats == {"emitted": 1, "sent": 1, "dropped": 0, "invalid": 2, "queued": 0}
    assert [e["event_id"] for e in sent_events()] == ["ok"]
    assert any("invalid events not sent" in r.getMessage() for r in caplog.records)


def test_caller_dict_is_not_changed_when_the_stdlib_encodes_nan(fake_kafka):
    em = Emitter("x:1")
    feats = {"a": math.nan, "s": "lone \ud800"}  # the surrogate makes orjson give up
    assert em.prediction("m", feats, 1)
    assert math.isnan(feats["a"]) and list(feats) == ["a", "s"]
    assert em.flush(5)
    em.close()
    assert sent_events()[0]["features"] == {"a": None, "s": "lone \ud800"}


def test_pipe_counts_what_the_sender_holds_and_late_appends():
    from tripwire_sdk._pipe import Pipe

    pipe = Pipe(max_queue=5)
    assert all(pipe.put(("t", "k", b"x")) for _ in range(5)) and not pipe.put(("t", "k", b"x"))
    taken = pipe.take(3)
    assert len(taken) == 3 and pipe.in_flight == 3 and len(pipe.queue) == 2
    assert not pipe.put(("t", "k", b"x"))  # 3 held by the sender + 2 queued = the bound
    pipe.settle(3, ok=True)
    assert pipe.stats() == {"emitted": 7, "sent": 3, "dropped": 2, "invalid": 0, "queued": 2}
    pipe.take(10)
    assert pipe.abandon() == 2
    pipe.queue.append(("t", "k", b"x"))  # a caller that read `closed` before close() ran
    pipe.settle(2, ok=True)  # a late callback: ignored
    assert pipe.stats() == {"emitted": 8, "sent": 3, "dropped": 5, "invalid": 0, "queued": 0}
    assert pipe.wait_settled(8, 0.0)


def test_event_ids_stay_unique_when_the_host_seeds_random():
    import random

    from tripwire_sdk.events import new_event_id

    random.seed(0)
    first = [new_event_id() for _ in range(100)]
    random.seed(0)
    second = [new_event_id() for _ in range(100)]
    assert not set(first) & set(second)
    assert all(uuid_version(i) == 4 for i in first)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_children_draw_other_event_ids():
    from tripwire_sdk.events import new_event_id

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write_end, ",".join(new_event_id() for _ in range(50)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    parent = {new_event_id() for _ in range(50)}
    with os.fdopen(read_end) as reader:
        child = set(reader.read().split(","))
    os.waitpid(pid, 0)
    assert len(child) == 50 and not parent & child


def test_kafka_batches_hold_several_messages(fake_kafka):
    em = Emitter("x:1", limits=Limits(max_message_bytes=500_000))
    em.label("m", "p", 1)
    assert em.flush(5)
    em.close()
    assert fake_kafka.instances[0].config["batch_size"] == 500_000
