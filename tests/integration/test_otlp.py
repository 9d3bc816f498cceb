"""OpenTelemetry GenAI ingest end to end: the official ``opentelemetry-sdk`` with the OTLP/HTTP
protobuf exporter sends real spans to a running worker (real broker, real chDB).

GenAI chat spans become LLM events (model, usage, prompt/response from both the current
``gen_ai.input/output.messages`` and the older indexed attributes, latency from the span
duration, app from ``service.name``, prompt version and context from ``tripwire.*``); other
spans are counted and ignored; a re-exported batch is stored once; OTLP/JSON and gzip work;
malformed bodies get 400 and a dead letter while the worker keeps serving; off the token, 401.
"""

from __future__ import annotations

import gzip
import json
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.integration

TOKEN = "otlp-test-token"
T0 = 1_767_323_045 * 10**9  # 2026-01-02T03:04:05Z in ns


def _call(url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {},
                                     method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _get(worker, path: str) -> object:
    status, body = _call(f"{worker.api}/{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, (status, body)
    return json.loads(body)


def _wait(worker, predicate, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    stats: dict = {}
    while time.monotonic() < deadline:
        stats = _get(worker, "stats")  # type: ignore[assignment]
        if predicate(stats):
            return stats
        time.sleep(0.3)
    raise AssertionError(f"not reached in {timeout}s: {stats}; log: {worker.log_tail()}")


def _spans(service: str) -> list:
    """Finished SDK spans: 3 current-convention chats, 2 indexed-attribute chats, 1 embeddings
    call, 3 plain HTTP spans."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("test")
    for i in range(3):
        span = tracer.start_span("chat gpt-4o-mini", start_time=T0 + i * 10**9)
        span.set_attributes({
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 120 + i, "gen_ai.usage.output_tokens": 30,
            "gen_ai.input.messages": json.dumps([
                {"role": "system", "parts": [{"type": "text", "content": "Answer briefly."}]},
                {"role": "user", "parts": [{"type": "text",
                                            "content": f"How long do refunds take? #{i}"}]}]),
            "gen_ai.output.messages": json.dumps([
                {"role": "assistant", "finish_reason": "stop",
                 "parts": [{"type": "text", "content": "Refunds take 14 days."}]}]),
            "tripwire.prompt_version": "v3", "tripwire.context": ["Refunds take 14 days."]})
        span.end(end_time=T0 + i * 10**9 + 640 * 10**6)
    for i in range(2):
        span = tracer.start_span("openai.chat", start_time=T0 + (10 + i) * 10**9)
        span.set_attributes({"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
                             "gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.completion_tokens": 5,
                             "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "hi",
                             "gen_ai.completion.0.role": "assistant",
                             "gen_ai.completion.0.content": "Hello! Call +1 415 555 2671.",
                             "tripwire.prompt_version": "v4"})
        span.end(end_time=T0 + (10 + i) * 10**9 + 250 * 10**6)
    span = tracer.start_span("embeddings", start_time=T0)
    span.set_attributes({"gen_ai.operation.name": "embeddings",
                         "gen_ai.request.model": "text-embedding-3-small"})
    span.end(end_time=T0 + 10**8)
    for i in range(3):
        with tracer.start_as_current_span(f"GET /orders/{i}") as span:
            span.set_attribute("http.request.method", "GET")
    provider.shutdown()
    return list(memory.get_finished_spans())


def test_sdk_exporter_spans_become_llm_events(worker_factory):
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    worker = worker_factory(TRIPWIRE_API_TOKEN=TOKEN)
    url = f"http://127.0.0.1:{worker.port}/v1/traces"
    spans = _spans("support-bot")
    assert len(spans) == 9

    refused = OTLPSpanExporter(endpoint=url, timeout=10)
    assert refused.export(spans) == SpanExportResult.FAILURE  # no token: 401
    refused.shutdown()
    exporter = OTLPSpanExporter(endpoint=url, headers={"Authorization": f"Bearer {TOKEN}"},
                                compression=Compression.Gzip, timeout=10)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    assert exporter.export(spans) == SpanExportResult.SUCCESS  # a retried batch
    exporter.shutdown()

    _wait(worker, lambda s: s["llm"] >= 5)
    time.sleep(2)  # the replayed batch has been processed too
    assert _get(worker, "stats")["llm"] == 5  # type: ignore[index]
    counters = _get(worker, "otlp")
    assert counters == {"requests": 2, "rejected_requests": 0, "spans": 18, "genai_spans": 12,
                        "ignored_spans": 6, "skipped_operations": 2, "events": 10,
                        "messages": 2}
    versions = {v["prompt_version"]: v for v in _get(worker, "llm/versions?app=support-bot")}
    assert sorted(versions) == ["v3", "v4"]
    assert versions["v3"]["n"] == 3 and versions["v3"]["latency_p50"] == pytest.approx(640.0)
    assert versions["v4"]["n"] == 2 and versions["v4"]["latency_p50"] == pytest.approx(250.0)
    assert versions["v3"]["avg_input_tokens"] == pytest.approx(121.0)
    assert versions["v4"]["pii_rate"] == 1.0 and versions["v3"]["pii_rate"] == 0.0
    samples = {s["prompt_version"]: s for s in _get(worker, "llm/samples?app=support-bot")}
    assert samples["v3"]["response"] == "Refunds take 14 days."
    assert samples["v3"]["prompt"].startswith("system: Answer briefly.\n\nuser: How long")
    assert samples["v3"]["llm_model"] == "gpt-4o-mini" and samples["v4"]["llm_model"] == "gpt-4o"
    assert samples["v3"]["groundedness"] is not None


def _json_body(trace_id: str, model: str) -> bytes:
    attrs = [{"key": "gen_ai.request.model", "value": {"stringValue": model}},
             {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "42"}},
             {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "7"}},
             {"key": "gen_ai.prompt", "value": {"stringValue": "What is 2+2?"}},
             {"key": "gen_ai.completion", "value": {"stringValue": "4"}},
             {"key": "tripwire.app", "value": {"stringValue": "calc-bot"}}]
    span = {"traceId": trace_id, "spanId": "00f067aa0ba902b7", "name": "chat",
            "startTimeUnixNano": str(T0), "endTimeUnixNano": str(T0 + 300 * 10**6),
            "attributes": attrs}
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": "svc"}}]},
        "scopeSpans": [{"scope": {"name": "manual"}, "spans": [span]}]}]}).encode()


def test_json_gzip_and_malformed_bodies(worker_factory):
    worker = worker_factory(TRIPWIRE_API_TOKEN=TOKEN)
    url = f"http://127.0.0.1:{worker.port}/v1/traces"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    json_headers = {**auth, "Content-Type": "application/json"}
    proto_headers = {**auth, "Content-Type": "application/x-protobuf"}
    bad = [
        (b"\xff\xff\xff\xff not protobuf", proto_headers),
        (b"{not json", json_headers),
        (b'{"resourceSpans": 5}', json_headers),
        (b"garbage", {**json_headers, "Content-Encoding": "gzip"}),
    ]
    for body, headers in bad:
        status, reply = _call(url, body, headers)
        assert status == 400, reply
        assert json.loads(reply)["error"]
    assert _call(url, b"{}", {**auth, "Content-Type": "text/plain"})[0] == 400
    status, reply = _call(url, gzip.compress(_json_body("4bf92f3577b34da6a3ce929d0e0e4736",
                                                        "gpt-4o-mini")),
                          {**json_headers, "Content-Encoding": "gzip"})
    assert (status, json.loads(reply)) == (200, {})
    assert _call(url, _json_body("aa" * 16, "gpt-4o"), json_headers)[0] == 200
    stats = _wait(worker, lambda s: s["llm"] >= 2 and s["deadletter"] >= 5)
    assert stats["llm"] == 2 and stats["deadletter"] == 5
    letters = _get(worker, "deadletter")
    assert {d["source_topic"] for d in letters} == {"otlp:/v1/traces"}  # type: ignore[union-attr]
    reasons = " | ".join(d["reason"] for d in letters)  # type: ignore[union-attr]
    assert "protobuf" in reasons and "not valid JSON" in reasons and "gzip" in reasons
    assert "Content-Type" in reasons
    versions = _get(worker, "llm/versions?app=calc-bot")  # tripwire.app wins over service.name
    assert [(v["prompt_version"], v["n"]) for v in versions] == [("unknown", 2)]  # type: ignore
    assert versions[0]["latency_p50"] == pytest.approx(300.0)  # type: ignore[index]
    assert versions[0]["avg_input_tokens"] == 42  # type: ignore[index]
    assert _get(worker, "health")["status"] == "ok"  # type: ignore[index]
