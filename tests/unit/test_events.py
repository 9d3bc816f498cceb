"""Event schema v1 (tripwire_sdk.events): field rules, timestamps, decoding, fuzzing, builders."""

from __future__ import annotations

import json
import math
import random
import time
import uuid
from datetime import UTC

import pytest
from tripwire_sdk import events
from tripwire_sdk.events import (
    DEFAULT_LIMITS,
    TOPICS,
    EventError,
    Limits,
    decode_message,
    entity_of,
    make_label,
    make_llm,
    make_prediction,
    parse_ts,
    validate,
)

TS = 1_767_323_045.0  # 2026-01-02T03:04:05Z


def prediction(**overrides) -> dict:
    event = {"type": "prediction", "schema": 1, "event_id": "e1", "ts": TS, "model": "churn",
             "model_version": "v1", "features": {"age": 41, "plan": "pro", "spend": 12.5,
                                                  "city": None}, "prediction": 1, "score": 0.8}
    event.update(overrides)
    return event


def label(**overrides) -> dict:
    event = {"type": "label", "schema": 1, "event_id": "l1", "ts": TS, "model": "churn",
             "prediction_id": "e1", "label": 0}
    event.update(overrides)
    return event


def llm(**overrides) -> dict:
    event = {"type": "llm", "schema": 1, "event_id": "q1", "ts": TS, "app": "support",
             "prompt_version": "p3", "llm_model": "gpt-4o-mini", "prompt": "How do I reset?",
             "response": "Click reset.", "context": ["Reset is under settings."],
             "usage": {"input_tokens": 12, "output_tokens": 3}, "latency_ms": 420.5,
             "feedback": 1, "user": "u-9"}
    event.update(overrides)
    return event


def without(event: dict, key: str) -> dict:
    return {k: v for k, v in event.items() if k != key}


def reason_of(obj, limits: Limits = DEFAULT_LIMITS) -> str:
    with pytest.raises(EventError) as info:
        validate(obj, limits)
    assert isinstance(info.value, ValueError)
    assert info.value.reason == str(info.value)
    return info.value.reason


# -- public surface ----------------------------------------------------------------------

def test_public_names_are_pinned():
    assert sorted(events.__all__) == sorted([
        "DEFAULT_LIMITS", "SCHEMA_VERSION", "TOPICS", "EventError", "Limits", "decode_message",
        "entity_of", "make_label", "make_llm", "make_prediction", "new_event_id", "parse_ts",
        "validate"])
    for name in events.__all__:  # the package's own names: tests/unit/test_public_names.py
        assert getattr(events, name) is not None


def test_constants():
    assert events.SCHEMA_VERSION == 1
    assert TOPICS == {"prediction": "tripwire.predictions", "label": "tripwire.labels",
                      "llm": "tripwire.llm"}
    assert DEFAULT_LIMITS == Limits(1_048_576, 262_144, 500, 200_000, 100, 10_000)
    with pytest.raises(AttributeError):
        DEFAULT_LIMITS.max_features = 1  # type: ignore[misc]


# -- valid events normalize ----------------------------------------------------------------

def test_prediction_normalized():
    out = validate(prediction(extra="ignored", ts=1_767_323_045))
    assert out == {"type": "prediction", "schema": 1, "event_id": "e1", "ts": TS,
                   "model": "churn", "model_version": "v1",
                   "features": {"age": 41, "plan": "pro", "spend": 12.5, "city": None},
                   "prediction": 1, "score": 0.8, "prediction_id": "e1"}
    assert type(out["ts"]) is float


def test_validate_returns_new_dicts():
    src = prediction()
    out = validate(src)
    out["features"]["age"] = 0
    out["model"] = "x"
    assert src["features"]["age"] == 41 and src["model"] == "churn"


@pytest.mark.parametrize("value", [1, 0.25, "yes", True, False, -3])
def test_prediction_value_types(value):
    assert validate(prediction(prediction=value))["prediction"] == value


def test_prediction_optional_fields():
    out = validate(without(prediction(prediction_id="p-7"), "score"))
    assert "score" not in out and out["prediction_id"] == "p-7"
    out = validate(prediction(score=None, prediction_id=None))
    assert "score" not in out and out["prediction_id"] == "e1"
    assert validate(prediction(score=0))["score"] == 0 and validate(prediction(score=1.0))


def test_schema_may_be_omitted_and_service_is_kept():
    out = validate(without(prediction(service="checkout"), "schema"))
    assert out["schema"] == 1 and out["service"] == "checkout"


def test_bool_features_become_ints():
    out = validate(prediction(features={"premium": True, "trial": False}))
    assert out["features"] == {"premium": 1, "trial": 0}
    assert type(out["features"]["premium"]) is int


def test_label_normalized():
    assert validate(label(ts="2026-01-02T03:04:05Z", junk=[1])) == {
        "type": "label", "schema": 1, "event_id": "l1", "ts": TS, "model": "churn",
        "prediction_id": "e1", "label": 0}


def test_llm_normalized_and_optionals():
    out = validate(llm(usage={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}))
    assert out["usage"] == {"input_tokens": 12, "output_tokens": 3}
    assert out["context"] == ["Reset is under settings."] and out["feedback"] == 1
    minimal = {k: v for k, v in llm().items()
               if k not in ("context", "usage", "latency_ms", "feedback", "user")}
    out = validate(minimal)
    assert set(out) == {"type", "schema", "event_id", "ts", "app", "prompt_version",
                        "llm_model", "prompt", "response"}
    assert validate(llm(context=None, feedback=None))["app"] == "support"
    assert validate(llm(prompt="", response="", context=[]))["context"] == []
    assert validate(llm(feedback=-1))["feedback"] == -1 and validate(llm(feedback=0))


# -- rejections name the field and the problem -------------------------------------------------

@pytest.mark.parametrize("event, expected", [
    (prediction(features={"age": [1, 2]}),
     "prediction.features.age: expected number, string or null, got list"),
    (prediction(features={"age": {"a": 1}}),
     "prediction.features.age: expected number, string or null, got object"),
    (prediction(features=[1, 2]), "prediction.features: expected object, got list"),
    (prediction(features="a=1"), "prediction.features: expected object, got string"),
    (prediction(features={"age": math.nan}),
     "prediction.features.age: expected a finite number, got NaN"),
    (prediction(features={"age": math.inf}),
     "prediction.features.age: expected a finite number, got infinity"),
    (prediction(features={"": 1}),
     "prediction.features: names must be non-empty strings, got string"),
    (prediction(features={3: 1}),
     "prediction.features: names must be non-empty strings, got number"),
    (prediction(features={"big": 10**30}), "prediction.features.big: integer out of range"),
    (without(prediction(), "model"), "prediction.model: missing"),
    (prediction(model=""), "prediction.model: expected non-empty string"),
    (prediction(model=5),
     "prediction.model: expected non-empty string of at most 1024 characters, got number"),
    (prediction(model="m" * 1025),
     "prediction.model: expected non-empty string of at most 1024 characters, got too long string"),
    (without(prediction(), "model_version"), "prediction.model_version: missing"),
    (without(prediction(), "features"), "prediction.features: missing"),
    (without(prediction(), "prediction"), "prediction.prediction: missing"),
    (prediction(prediction=None),
     "prediction.prediction: expected number, string or bool, got null"),
    (prediction(prediction=[1]),
     "prediction.prediction: expected number, string or bool, got list"),
    (prediction(prediction=math.nan), "prediction.prediction: expected a finite number, got NaN"),
    (prediction(score=1.5), "prediction.score: expected a probability in [0, 1]"),
    (prediction(score=-0.1), "prediction.score: expected a probability in [0, 1]"),
    (prediction(score="0.5"), "prediction.score: expected number, got string"),
    (prediction(score=True), "prediction.score: expected number, got bool"),
    (prediction(score=math.inf), "prediction.score: expected a finite number, got infinity"),
    (prediction(prediction_id=""), "prediction.prediction_id: expected non-empty string"),
    (without(prediction(), "event_id"), "prediction.event_id: missing"),
    (prediction(event_id=""), "prediction.event_id: expected non-empty string"),
    (prediction(event_id=7), "prediction.event_id: expected non-empty string"),
    (without(prediction(), "ts"), "prediction.ts: missing"),
    (prediction(ts=None), "prediction.ts: expected epoch seconds or ISO-8601 string, got null"),
    (prediction(ts="2026-01-02T03:04:05"), "prediction.ts: ISO-8601 timestamp without UTC offset"),
    (prediction(ts="yesterday"), "prediction.ts: not an ISO-8601 timestamp or epoch seconds"),
    (prediction(ts=True), "prediction.ts: expected epoch seconds or ISO-8601 string, got bool"),
    (prediction(ts=math.nan), "prediction.ts: expected a finite number, got NaN"),
    (prediction(ts=1_767_323_045_000), "prediction.ts: epoch seconds out of range (milliseconds?)"),
    (prediction(schema=2), "prediction.schema: unsupported schema version (expected 1)"),
    (prediction(schema="1"), "prediction.schema: unsupported schema version (expected 1)"),
    (prediction(schema=True), "prediction.schema: unsupported schema version (expected 1)"),
    (prediction(service=""), "prediction.service: expected non-empty string"),
    (prediction(type="metric"), "event.type: expected 'prediction', 'label' or 'llm'"),
    (prediction(type=None), "event.type: missing"),
    (without(prediction(), "type"), "event.type: missing"),
    (without(label(), "prediction_id"), "label.prediction_id: missing"),
    (without(label(), "label"), "label.label: missing"),
    (label(label=None), "label.label: expected number, string or bool, got null"),
    (label(label={"a": 1}), "label.label: expected number, string or bool, got object"),
    (label(model=None), "label.model: expected non-empty string"),
    (without(llm(), "app"), "llm.app: missing"),
    (without(llm(), "prompt_version"), "llm.prompt_version: missing"),
    (without(llm(), "llm_model"), "llm.llm_model: missing"),
    (without(llm(), "prompt"), "llm.prompt: missing"),
    (llm(response=None), "llm.response: expected string of at most 200000 characters, got null"),
    (llm(context="doc"), "llm.context: expected list of strings, got string"),
    (llm(context=["ok", 3]), "llm.context[1]: expected string, got number"),
    (llm(usage={"input_tokens": -1, "output_tokens": 3}),
     "llm.usage.input_tokens: expected non-negative integer, got number"),
    (llm(usage={"input_tokens": 1}), "llm.usage.output_tokens: missing"),
    (llm(usage={"input_tokens": 1.5, "output_tokens": 3}),
     "llm.usage.input_tokens: expected non-negative integer"),
    (llm(usage={"input_tokens": True, "output_tokens": 3}),
     "llm.usage.input_tokens: expected non-negative integer, got bool"),
    (llm(usage=[1, 2]), "llm.usage: expected object, got list"),
    (llm(latency_ms=-5), "llm.latency_ms: expected a non-negative number"),
    (prediction(latency_ms=-0.5), "prediction.latency_ms: expected a non-negative number"),
    (prediction(latency_ms=math.inf), "prediction.latency_ms: expected a finite number"),
    (prediction(latency_ms="12"), "prediction.latency_ms: expected number, got string"),
    (llm(latency_ms="fast"), "llm.latency_ms: expected number, got string"),
    (llm(feedback=2), "llm.feedback: expected -1, 0 or 1, got number"),
    (llm(feedback=True), "llm.feedback: expected -1, 0 or 1, got bool"),
    (llm(feedback="up"), "llm.feedback: expected -1, 0 or 1, got string"),
    (llm(user=5), "llm.user: expected non-empty string"),
    ([prediction()], "event: expected object, got list"),
    ("{}", "event: expected object, got string"),
    (None, "event: expected object, got null"),
])
def test_rejections(event, expected):
    assert reason_of(event).startswith(expected)


def test_usage_accepts_integral_floats():
    assert validate(llm(usage={"input_tokens": 12.0, "output_tokens": 0}))["usage"] == {
        "input_tokens": 12, "output_tokens": 0}


def test_reasons_do_not_echo_values():
    secret = "alice@example.com"
    for event in (prediction(features={"email": [secret]}), prediction(ts=secret),
                  llm(feedback=secret), prediction(model_version=secret * 100)):
        assert secret not in reason_of(event)


# -- limits ------------------------------------------------------------------------------

def test_limits():
    small = Limits(max_features=3, max_text_chars=10, max_context_docs=2, max_event_bytes=600)
    assert reason_of(prediction(), Limits(max_features=3)).startswith(
        "prediction.features: 4 features exceed max_features=3")
    assert reason_of(llm(prompt="x" * 11), small).startswith(
        "llm.prompt: expected string of at most 10")
    assert reason_of(llm(context=["a", "b", "c"], prompt="", response=""), small).startswith(
        "llm.context: 3 documents exceed max_context_docs=2")
    assert reason_of(llm(context=["x" * 11], prompt="", response=""), small).startswith(
        "llm.context[0]: longer than 10 characters")
    assert reason_of(prediction(features={"a": "x" * 700}), small).startswith(
        "prediction: event of about")
    assert reason_of(label(label="x" * 11), small).startswith("label.label: string longer than 10")
    validate(prediction(features={"a": "x" * 300}), small)


def test_event_size_is_estimated_from_text():
    lim = Limits(max_event_bytes=5_000)
    validate(llm(prompt="p" * 2_000, response="r" * 2_000, context=None), lim)
    assert "max_event_bytes=5000" in reason_of(
        llm(prompt="p" * 2_000, response="r" * 2_000, context=["c" * 1_500]), lim)


# -- timestamps -------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05z",
    "2026-01-02T04:04:05+01:00", "2026-01-01T22:04:05-05:00", "2026-01-02 03:04:05.000+00:00",
    "2026-01-02T04:04:05+0100", "2026-01-02T03:04:05.000000000Z", 1_767_323_045, 1_767_323_045.0])
def test_parse_ts_forms(value):
    assert parse_ts(value) == TS and type(parse_ts(value)) is float


def test_parse_ts_fractions_and_aware_datetime():
    from datetime import datetime, timedelta, timezone
    assert parse_ts("2026-01-02T03:04:05.250Z") == TS + 0.25
    assert parse_ts(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == TS
    assert parse_ts(datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))) == TS
    assert parse_ts(0) == 0.0 and parse_ts(12.5) == 12.5


@pytest.mark.parametrize("value, expected", [
    ("2026-01-02T03:04:05", "ts: ISO-8601 timestamp without UTC offset (add 'Z' or '+00:00')"),
    ("2026-01-02", "ts: ISO-8601 timestamp without UTC offset"),
    ("2026-01-02T03:04:05+99:00", "ts: not an ISO-8601 timestamp or epoch seconds"),
    ("2026-02-30T03:04:05Z", "ts: not an ISO-8601 timestamp or epoch seconds"),
    ("1767323045", "ts: not an ISO-8601 timestamp or epoch seconds"),
    ("", "ts: expected ISO-8601 timestamp, got empty or too long string"),
    ("2026-01-02T03:04:05Z" + " " * 60, "ts: expected ISO-8601 timestamp, got empty or too long"),
    (math.inf, "ts: expected a finite number, got infinity"),
    (1e12, "ts: epoch seconds out of range (milliseconds?)"),
    (None, "ts: expected epoch seconds or ISO-8601 string, got null"),
    ([1], "ts: expected epoch seconds or ISO-8601 string, got list"),
])
def test_parse_ts_rejects(value, expected):
    with pytest.raises(EventError) as info:
        parse_ts(value)
    assert info.value.reason.startswith(expected)


def test_naive_datetime_rejected():
    from datetime import datetime
    with pytest.raises(EventError, match="without UTC offset"):
        parse_ts(datetime(2026, 1, 2))


# -- entity_of ---------------------------------------------------------------------------

def test_entity_of():
    assert entity_of(validate(prediction())) == "churn"
    assert entity_of(validate(label())) == "churn"
    assert entity_of(validate(llm())) == "support"
    assert entity_of({}) == ""


# -- decode_message ----------------------------------------------------------------------

def encode(obj) -> bytes:
    return json.dumps(obj).encode()


def test_decode_object():
    good, bad = decode_message(encode(prediction()))
    assert bad == [] and good == [validate(prediction())]


def test_decode_array_with_mixed_validity():
    items = [prediction(event_id="a"), label(), {"type": "prediction"}, 5, llm(), "x",
             prediction(event_id="b", features={"f": [1]})]
    good, bad = decode_message(encode(items))
    assert [e["event_id"] for e in good] == ["a", "l1", "q1"]
    assert [r for r, _ in bad] == [
        "prediction.event_id: missing", "event: expected object, got number",
        "event: expected object, got string",
        "prediction.features.f: expected number, string or null, got list"]
    assert json.loads(bad[0][1]) == {"type": "prediction"}
    assert bad[1][1] == b"5" and json.loads(bad[3][1])["event_id"] == "b"


def test_decode_rejects_whole_message():
    raw = b'{"type": "prediction", '
    assert decode_message(raw) == ([], [("message: invalid JSON (JSONDecodeError)", raw)])
    garbage = b"\xff\xfe\x00garbage"
    good, bad = decode_message(garbage)
    assert good == [] and bad[0][0].startswith("message: invalid JSON") and bad[0][1] == garbage
    assert decode_message(b"42") == (
        [], [("message: expected JSON object or array, got number", b"42")])
    assert decode_message(b"null")[1][0][0] == "message: expected JSON object or array, got null"
    assert decode_message(b"")[1][0][0].startswith("message: invalid JSON")
    assert decode_message(None) == ([], [("message: expected bytes, got null", b"")])
    assert decode_message(b"[]") == ([], [])
    single = encode(prediction())
    assert decode_message(single, Limits(max_event_bytes=50))[1] == [
        (reason_of(prediction(), Limits(max_event_bytes=50)), single)]


def test_decode_oversized_message_and_batch():
    raw = encode([prediction(event_id=str(i)) for i in range(50)])
    reason, original = decode_message(raw, Limits(max_message_bytes=1000))[1][0]
    assert reason == f"message: {len(raw)} bytes exceed max_message_bytes=1000" and original == raw
    reason, original = decode_message(raw, Limits(max_batch_events=10))[1][0]
    assert reason == "message: 50 events exceed max_batch_events=10" and original == raw
    assert len(decode_message(raw, Limits(max_batch_events=50))[0]) == 50


def test_decode_accepts_bytes_like_and_custom_loads():
    raw = encode([prediction()])
    assert decode_message(bytearray(raw))[0] and decode_message(memoryview(raw))[0]
    assert decode_message(raw.decode())[0]
    orjson = pytest.importorskip("orjson")
    assert decode_message(raw, loads=orjson.loads) == decode_message(raw)

    def broken_loads(_raw):
        raise MemoryError("boom")

    assert decode_message(raw, loads=broken_loads)[1][0][0] == "message: invalid JSON (MemoryError)"


def test_decode_deep_nesting_is_rejected_not_raised():
    raw = b"[" * 100_000 + b"]" * 100_000
    good, bad = decode_message(raw)
    assert good == [] and len(bad) == 1 and bad[0][1] == raw


def _random_json(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**70, rng.randint(-10**6, 10**6)])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e-300, rng.random(), math.nan, math.inf])
    if kind == 4 and rng.random() < 0.5:
        return rng.choice(["2026-01-02T03:04:05+99:00", "2026-01-02T03:04:05.1234567891Z",
                           "2026-02-30T00:00:00Z", "2026-01-02T25:00:00Z", "0000-01-01T00:00Z",
                           "9999-12-31T23:59:59-23:59", "2026-01-02T03:04:05", "2026-W01-1"])
    if kind in (4, 5):
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x10FFFF)]))
                       for _ in range(rng.randrange(6))).replace("\ud800", "")
    if kind == 6:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["type", "schema", "event_id", "ts", "model", "model_version", "features",
            "prediction", "score", "prediction_id", "label", "app", "prompt_version",
            "llm_model", "prompt", "response", "context", "usage", "latency_ms", "feedback",
            "user", "service", "age", "x"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(8))}


def _mutated_event(rng: random.Random) -> dict:
    event = rng.choice([prediction, label, llm])()
    for _ in range(rng.randrange(3)):
        key = rng.choice(list(event))
        if rng.random() < 0.3:
            del event[key]
        else:
            event[key] = _random_json(rng, 2)
    if rng.random() < 0.3 and "features" in event:
        event["features"] = {"a": _random_json(rng, 3), "b": 1}
    return event


def test_fuzz_decode_message_only_returns():
    rng = random.Random(20260102)
    seen_valid = seen_rejected = 0
    for i in range(6_000):
        mode = i % 4
        if mode == 0:
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        elif mode == 1:
            raw = json.dumps(_random_json(rng)).encode()
        elif mode == 2:
            raw = json.dumps([_mutated_event(rng) for _ in range(rng.randrange(1, 5))]).encode()
        else:
            raw = json.dumps(_mutated_event(rng)).encode()
            cut = rng.randrange(len(raw) + 1)
            raw = raw[:cut] if rng.random() < 0.2 else raw
        good, bad = decode_message(raw)
        assert isinstance(good, list) and isinstance(bad, list)
        for reason, original in bad:
            assert isinstance(reason, str) and reason and isinstance(original, bytes)
        for event in good:
            assert validate(event) == event and type(event["ts"]) is float
        if mode >= 2:  # validate itself raises nothing but EventError
            for item in (json.loads(raw) if mode == 2 else [_mutated_event(rng)]):
                try:
                    validate(item)
                except EventError:
                    pass
        seen_valid += len(good)
        seen_rejected += len(bad)
    assert seen_valid > 500 and seen_rejected > 2_000


# -- builders ----------------------------------------------------------------------------

def test_builders_round_trip_through_decode():
    built = [
        make_prediction("churn", {"age": 41, "plan": "pro", "spend": None}, "yes", score=0.7,
                        model_version="v2", ts="2026-01-02T03:04:05Z", service="svc"),
        make_label("churn", "pid-1", True, event_id="lab-1", ts=TS),
        make_llm("support", "p3", "gpt", "q?", "a.", context=("doc",),
                 usage={"input_tokens": 5, "output_tokens": 7}, latency_ms=12, feedback=-1,
                 user="u1"),
    ]
    good, bad = decode_message(json.dumps(built).encode())
    assert bad == [] and good == built
    assert built[0]["prediction_id"] == built[0]["event_id"] and built[0]["ts"] == TS
    assert built[2]["context"] == ["doc"]


def test_prediction_latency_is_optional_and_kept():
    assert "latency_ms" not in validate(prediction())
    assert "latency_ms" not in validate(prediction(latency_ms=None))
    assert validate(prediction(latency_ms=12.5))["latency_ms"] == 12.5
    built = make_prediction("m", {"a": 1}, 0, latency_ms=0)
    assert built["latency_ms"] == 0 and validate(built)["latency_ms"] == 0


def test_builder_defaults():
    before = time.time()
    event = make_prediction("m", {"a": 1}, 0)
    assert before <= event["ts"] <= time.time()
    assert uuid.UUID(event["event_id"]).version == 4 and len(event["event_id"]) == 32
    assert event["model_version"] == "unknown" and "score" not in event and "service" not in event
    assert len({make_label("m", "p", 1)["event_id"] for _ in range(1000)}) == 1000


def test_builder_copies_features():
    feats = {"a": 1}
    event = make_prediction("m", feats, 0)
    feats["a"] = 2
    assert event["features"] == {"a": 1}


@pytest.mark.parametrize("call, expected", [
    (lambda: make_prediction("", {}, 1), "prediction.model: expected non-empty string"),
    (lambda: make_prediction("m", [1], 1), "prediction.features: expected object, got list"),
    (lambda: make_prediction("m", {}, None),
     "prediction.prediction: expected number, string or bool"),
    (lambda: make_prediction("m", {}, math.nan), "prediction.prediction: expected a finite number"),
    (lambda: make_prediction("m", {}, 1, score=2), "prediction.score: expected a probability"),
    (lambda: make_prediction("m", {}, 1, ts="2026-01-02T03:04:05"), "prediction.ts: ISO-8601"),
    (lambda: make_prediction("m", {}, 1, event_id=""), "prediction.event_id: expected non-empty"),
    (lambda: make_prediction("m", {str(i): i for i in range(501)}, 1),
     "prediction.features: more than"),
    (lambda: make_label("m", None, 1), "label.prediction_id: expected non-empty string"),
    (lambda: make_label("m", "p", [1]), "label.label: expected number, string or bool, got list"),
    (lambda: make_llm("a", "v", "m", None, "r"), "llm.prompt: expected string, got null"),
    (lambda: make_llm("a", "v", "m", "p", "r", context="doc"), "llm.context: expected list"),
    (lambda: make_llm("a", "v", "m", "p", "r", usage={"input_tokens": -1, "output_tokens": 1}),
     "llm.usage.input_tokens: expected non-negative integer"),
    (lambda: make_llm("a", "v", "m", "p", "r", feedback=2), "llm.feedback: expected -1, 0 or 1"),
    (lambda: make_llm("a", "v", "m", "p", "r", latency_ms=-1),
     "llm.latency_ms: expected a non-negative"),
    (lambda: make_prediction("m", {}, 1, latency_ms=-1),
     "prediction.latency_ms: expected a non-negative"),
    (lambda: make_llm("a", "v", "m", "p" * 200_001, "r"), "llm.prompt: longer than 200000"),
])
def test_builder_rejections(call, expected):
    with pytest.raises(EventError) as info:
        call()
    assert info.value.reason.startswith(expected)


def test_builders_accept_numpy_scalars():
    np = pytest.importorskip("numpy")
    event = make_prediction("m", {"a": np.float64(1.5)}, np.int64(1), score=np.float32(0.5))
    assert event["prediction"] == 1 and type(event["prediction"]) is int
    assert event["score"] == 0.5 and type(event["score"]) is float
    assert validate({**event, "features": {"a": np.float64(2.5), "b": np.int32(3)}})[
        "features"] == {"a": 2.5, "b": 3}


# -- speed -------------------------------------------------------------------------------

def test_validate_is_fast():
    feats = {f"f{i}": (i * 1.5 if i % 4 else f"cat{i % 7}") for i in range(20)}
    raw = json.loads(json.dumps(make_prediction("churn", feats, 1, score=0.7, model_version="v1")))
    n = 20_000
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            validate(raw)
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    print(f"validate: {best:.2f} us per 20-feature prediction")
    assert best < 50  # the target is < 10 us; loose so that a loaded CI box does not flake


def test_emitter_builder_is_make_prediction_with_positional_arguments():
    from tripwire_sdk._build import prediction_event

    feats = {"a": 1.5, "b": "x"}
    for score, latency, service in ((None, None, None), (0.5, 3, "svc"), (1, 0.0, "")):
        kwargs = dict(model_version="v", score=score, prediction_id="p", latency_ms=latency,
                      event_id="e", ts="2026-01-02T03:04:05Z", service=service)
        built = make_prediction("m", feats, True, **kwargs)
        assert prediction_event("m", feats, True, "v", score, "p", latency, "e",
                                "2026-01-02T03:04:05Z", service, DEFAULT_LIMITS) == built
        assert validate(built) == built and built["features"] is not feats
    # with several bad arguments the first one checked is reported, as before
    with pytest.raises(EventError, match="prediction.features: expected object"):
        make_prediction(None, [1], None, score=math.nan)  # type: ignore[arg-type]
    with pytest.raises(EventError, match="prediction.event_id"):
        make_prediction(None, {}, None, event_id=7)  # type: ignore[arg-type]


# -- the worker's fast path for plain predictions ----------------------------------------

def _outcome(event, limits: Limits):
    try:
        return "ok", validate(event, limits)
    except EventError as err:
        return "error", err.reason


_EDGE_VALUES = [None, True, False, 0, 1, -1, 2**63, 2**63 + 1, -(2**63) - 1, 0.5, -0.0,
                math.nan, math.inf, -math.inf, 1e308, "", "x", "y" * 1025, [], {}, 1.0]


def test_plain_prediction_path_matches_the_field_by_field_path(monkeypatch):
    """``validate`` takes a shortcut for the predictions the SDK sends; on every edge case
    (each field set to each odd value, alone) it must give what the general path gives."""
    from tripwire_sdk import _validate

    small = Limits(max_features=5, max_text_chars=40, max_event_bytes=420)
    cases = [prediction(), prediction(features={f"f{i}": i / 7 for i in range(5)}),
             prediction(features={}), prediction(service="svc", prediction_id="p9")]
    base = prediction(service="svc", prediction_id="p9", latency_ms=None)
    for key in ("event_id", "ts", "model", "model_version", "prediction", "score", "service",
                "prediction_id", "schema", "latency_ms"):
        cases += [{**base, key: value} for value in _EDGE_VALUES]
        cases.append(without(base, key))
    for value in _EDGE_VALUES:
        cases.append(prediction(features={"a": value, "b": 2.5}))
        cases.append(prediction(features={"a": 1.5, "": value}))
    cases += [prediction(features={1: 2.0}), prediction(features={f"f{i}": 1 for i in range(6)}),
              prediction(features={"a": "z" * 300}), prediction(prediction="p" * 41),
              prediction(ts=1e11), prediction(ts=-1e11), prediction(ts=99_999_999_999.0),
              prediction(score=1), prediction(score=0), prediction(score=1.0000001)]
    taken = []
    plain = _validate._plain_prediction
    monkeypatch.setattr(_validate, "_plain_prediction",
                        lambda obj, lim: taken.append(obj) or plain(obj, lim))
    fast = [_outcome(e, lim) for lim in (DEFAULT_LIMITS, small) for e in cases]
    monkeypatch.setattr(_validate, "_plain_prediction", lambda obj, lim: None)
    general = [_outcome(e, lim) for lim in (DEFAULT_LIMITS, small) for e in cases]
    for event, got, want in zip(cases * 2, fast, general, strict=True):
        assert got == want, event
        if got[0] == "ok":  # same keys in the same order: stored and replayed alike
            assert list(got[1]) == list(want[1]), event
    assert len(taken) == 2 * len(cases)
    # the shortcut really carries the common case (else this test would check nothing)
    assert plain(prediction(features={"a": 1.5, "b": None, "c": 3}), DEFAULT_LIMITS) == \
        _outcome(prediction(features={"a": 1.5, "b": None, "c": 3}), DEFAULT_LIMITS)[1]

    def shortcut(event: dict) -> bool:
        try:
            return plain(event, DEFAULT_LIMITS) is not None
        except EventError:  # a bad feature: the same error the general path raises
            return False
    assert sum(map(shortcut, cases)) > 20


def _edge_events() -> list[dict]:
    """Predictions and labels with each field set to each odd value in turn."""
    base = prediction(service="svc", prediction_id="p9", latency_ms=12)
    out = [prediction(), base, prediction(features={}), label(), label(service="svc")]
    for key in ("event_id", "ts", "model", "model_version", "prediction", "score", "service",
                "prediction_id", "schema", "latency_ms", "type", "features"):
        out += [{**base, key: value} for value in _EDGE_VALUES]
        out.append(without(base, key))
    for key in ("event_id", "ts", "model", "prediction_id", "label", "service", "schema"):
        out += [{**label(), key: value} for value in _EDGE_VALUES]
        out.append(without(label(), key))
    for value in _EDGE_VALUES:
        out.append(prediction(features={"a": value, "b": 2.5}))
        out.append(prediction(features={"a": 1.5, "": value}))
    out += [prediction(ts="2026-01-02T03:04:05Z"), prediction(ts=1_767_323_045),
            prediction(ts=1e11), prediction(ts=-1e11), prediction(ts=99_999_999_999.0),
            prediction(features={f"f{i}": 1 for i in range(6)}), prediction(prediction="p" * 41),
            prediction(features={"a": "z" * 300}), label(label="l" * 41), llm(),
            prediction(score=1), prediction(score=0), prediction(score=1.5),
            prediction(extra={"x": [1]}), label(model="m" * 290), label(model="m" * 300),
            prediction(model="m" * 150, model_version="v" * 150)]
    return out


def test_fast_message_decoding_matches_the_general_path(monkeypatch):
    """Array messages of plain predictions and labels are decoded by msgspec when it is
    installed (``_fastdecode``); every message, odd ones included, must decode to what the
    general path (JSON parser + ``validate``) gives: same events, same key order, same
    rejections."""
    pytest.importorskip("msgspec")
    from tripwire_sdk import _decode

    small = Limits(max_features=5, max_text_chars=40, max_event_bytes=420,
                   max_batch_events=3)
    edge = _edge_events()
    messages = [encode([e]) for e in edge]  # each odd event alone
    messages += [encode([prediction(event_id=f"g{i}"), e, label()]) for i, e in enumerate(edge)]
    messages += [encode([prediction(event_id=f"e{i}", features={"a": i / 3, "b": None,
                                                                "c": "x", "d": i})
                         for i in range(n)]) for n in (1, 3, 4, 50)]
    messages += [encode(prediction()), b"[", b"[]", b"[1,2]", b"[NaN]", b'[{"a":1}]',
                 b'[{"type":"prediction","features":{"a":99999999999999999999999}}]',
                 encode([prediction(features={"a": 2**63})]),
                 encode([prediction(features={"a": 2**63 - 1, "b": -(2**63)})])]
    taken = []
    fast = _decode.fast_events
    monkeypatch.setattr(_decode, "fast_events",
                        lambda data, lim: taken.append(fast(data, lim)) or taken[-1])
    for loads in (json.loads, pytest.importorskip("orjson").loads):
        for limits in (DEFAULT_LIMITS, small):
            got = [decode_message(m, limits, loads) for m in messages]
            with monkeypatch.context() as general:
                general.setattr(_decode, "fast_events", lambda data, lim: None)
                want = [decode_message(m, limits, loads) for m in messages]
            for message, g, w in zip(messages, got, want, strict=True):
                assert g == w, message
                assert [list(e) for e in g[0]] == [list(e) for e in w[0]], message
    # the accelerator really carries the plain messages (else this checks nothing)
    assert sum(found is not None for found in taken) > 100
    assert fast(encode([prediction(), label()]), DEFAULT_LIMITS) is not None
    assert fast(encode([prediction(ts="2026-01-02T03:04:05Z")]), DEFAULT_LIMITS) is None


def test_fast_decoding_estimates_large_messages_event_by_event():
    """Past the size where a message could hold an event beyond ``max_event_bytes``, the
    accelerator estimates each event as ``validate`` does and leaves an oversized one to it."""
    pytest.importorskip("msgspec")
    from tripwire_sdk._fastdecode import fast_events

    lim = Limits(max_event_bytes=9_000, max_features=50)
    fits = prediction(features={f"f{i:02d}": "v" * 150 for i in range(50)})
    assert len(encode([fits])) + 120 + 16 * 50 > 9_000  # the exact path runs
    assert fast_events(encode([fits]), lim) == [validate(fits, lim)]
    over = prediction(features={f"f{i:02d}": "v" * 160 for i in range(50)})
    assert fast_events(encode([over]), lim) is None
    assert decode_message(encode([over]), lim)[1][0][0].startswith("prediction: event of about")
