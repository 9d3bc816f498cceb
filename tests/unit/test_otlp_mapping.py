"""OTLP decoding (protobuf and JSON give the same spans; gzip with a size cap; malformed bodies
raise OtlpError) and the GenAI span -> LLM event mapping (current and older conventions)."""

from __future__ import annotations

import gzip
import json

import pytest
from tripwire_sdk.events import validate

from streams.messages import messages_text
from streams.otlp import OtlpError, decode_traces, gunzip, span_to_event


def _request_pb(attrs: dict, resource: dict | None = None, events: list | None = None) -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    def value(v):
        if isinstance(v, bool):
            return AnyValue(bool_value=v)
        if isinstance(v, int):
            return AnyValue(int_value=v)
        if isinstance(v, float):
            return AnyValue(double_value=v)
        if isinstance(v, list):
            out = AnyValue()
            out.array_value.values.extend(value(x) for x in v)
            return out
        return AnyValue(string_value=v)

    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend(KeyValue(key=k, value=value(v))
                                  for k, v in (resource or {"service.name": "bot"}).items())
    span = rs.scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = bytes(range(16)), bytes(range(8)), "chat"
    span.start_time_unix_nano, span.end_time_unix_nano = 10**18, 10**18 + 250_000_000
    span.attributes.extend(KeyValue(key=k, value=value(v)) for k, v in attrs.items())
    for name, ev_attrs in events or []:
        e = span.events.add()
        e.name = name
        e.attributes.extend(KeyValue(key=k, value=value(v)) for k, v in ev_attrs.items())
    return request.SerializeToString()


def _json_value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, list):
        return {"arrayValue": {"values": [_json_value(x) for x in v]}}
    return {"stringValue": v}


def _request_json(attrs: dict) -> bytes:
    span = {"traceId": bytes(range(16)).hex(), "spanId": bytes(range(8)).hex(), "name": "chat",
            "startTimeUnixNano": str(10**18), "endTimeUnixNano": str(10**18 + 250_000_000),
            "attributes": [{"key": k, "value": _json_value(v)} for k, v in attrs.items()]}
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bot"}}]},
        "scopeSpans": [{"spans": [span]}]}]}).encode()


ATTRS = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
         "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": 12,
         "gen_ai.usage.output_tokens": 4,
         "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [
             {"type": "text", "content": "How long do refunds take?"}]}]),
         "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
             {"type": "text", "content": "14 days."},
             {"type": "tool_call", "name": "lookup"}]}]),
         "tripwire.prompt_version": "v7", "tripwire.context": ["Refunds take 14 days."],
         "tripwire.feedback": -1, "enduser.id": "u-1"}


def test_protobuf_and_json_decode_to_the_same_spans():
    pb = decode_traces(_request_pb(ATTRS), "application/x-protobuf")
    js = decode_traces(_request_json(ATTRS), "application/json; charset=utf-8")
    assert pb == js
    assert pb[0]["trace_id"] == bytes(range(16)).hex() and pb[0]["resource"] == {
        "service.name": "bot"}


def test_mapping_of_the_current_convention():
    [span] = decode_traces(_request_pb(ATTRS), "application/x-protobuf")
    event = span_to_event(span)
    assert event == {
        "type": "llm", "schema": 1, "event_id": bytes(range(16)).hex() + bytes(range(8)).hex(),
        "ts": 1e9 + 0.25, "app": "bot", "prompt_version": "v7",
        "llm_model": "gpt-4o-2024-08-06", "prompt": "How long do refunds take?",
        "response": "14 days.", "latency_ms": 250.0,
        "usage": {"input_tokens": 12, "output_tokens": 4},
        "context": ["Refunds take 14 days."], "user": "u-1", "feedback": -1, "service": "bot"}
    assert validate(event)["latency_ms"] == 250.0


def test_mapping_of_older_forms_and_span_events():
    attrs = {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4",
             "gen_ai.usage.prompt_tokens": 9, "gen_ai.usage.completion_tokens": 2,
             "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "And in the EU?",
             "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "Be brief.",
             "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Yes."}
    [span] = decode_traces(_request_pb(attrs, {"service.name": "svc", "tripwire.app": "eu-bot",
                                               "tripwire.prompt_version": "p2"}),
                           "application/x-protobuf")
    event = span_to_event(span)
    assert (event["app"], event["prompt_version"], event["llm_model"]) == ("eu-bot", "p2",
                                                                           "gpt-4")
    assert event["prompt"] == "system: Be brief.\n\nuser: And in the EU?"
    assert event["response"] == "Yes." and event["usage"] == {"input_tokens": 9,
                                                               "output_tokens": 2}
    [span] = decode_traces(_request_pb(
        {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4"},
        events=[("gen_ai.content.prompt", {"gen_ai.prompt": "plain prompt"}),
                ("gen_ai.content.completion", {"gen_ai.completion": json.dumps(
                    [{"role": "assistant", "content": "plain answer"}])})]),
        "application/x-protobuf")
    event = span_to_event(span)
    assert (event["prompt"], event["response"], event.get("usage")) == (
        "plain prompt", "plain answer", None)


def test_non_genai_and_non_model_call_spans_are_skipped():
    [plain] = decode_traces(_request_pb({"http.request.method": "GET"}), "application/x-protobuf")
    assert span_to_event(plain) is None
    for op in ("embeddings", "execute_tool", "invoke_agent"):
        [span] = decode_traces(_request_pb({**ATTRS, "gen_ai.operation.name": op}),
                               "application/x-protobuf")
        assert span_to_event(span) is None


def test_span_without_content_still_counts_usage_and_latency():
    [span] = decode_traces(_request_pb({"gen_ai.operation.name": "chat",
                                        "gen_ai.request.model": "gpt-4o-mini"}),
                           "application/x-protobuf")
    event = span_to_event(span)
    assert event["prompt"] == "" and event["response"] == "" and event["latency_ms"] == 250.0
    assert validate(event)["prompt_version"] == "unknown"


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b"\xff\xff\xff", "application/x-protobuf", "not a protobuf"),
    (b"{nope", "application/json", "not valid JSON"),
    (b"[]", "application/json", "must be an object"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": 5}]}]}]}',
     "application/json", "attributes must be a list"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "x"}]}]}]}',
     "application/json", "not an OTLP"),
    (b"{}", "text/plain", "unsupported Content-Type"),
])
def test_malformed_bodies_raise_otlp_error(body, content_type, message):
    with pytest.raises(OtlpError, match=message):
        decode_traces(body, content_type)


def test_gunzip_round_trip_and_bomb_guard():
    data = _request_json(ATTRS)
    assert gunzip(gzip.compress(data)) == data
    with pytest.raises(OtlpError, match="inflates to more than"):
        gunzip(gzip.compress(b"\0" * 100_000), limit=10_000)
    with pytest.raises(OtlpError, match="not valid gzip"):
        gunzip(b"plain")


@pytest.mark.parametrize(("messages", "text"), [
    ("hi", "hi"),
    ([{"role": "user", "content": "hi"}], "hi"),
    ([{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url"}]}], "a"),
    ([{"role": "system", "content": "s"}, {"role": "user", "parts": [
        {"type": "text", "content": "q"}]}], "system: s\n\nuser: q"),
    ([{"role": "assistant", "content": None}], ""),
    (42, ""),
])
def test_messages_text(messages, text):
    assert messages_text(messages) == text
