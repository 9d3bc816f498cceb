"""``POST /v1/traces`` on the worker's web server: OTLP/HTTP in, LLM events to Kafka out.

GenAI model-call spans become schema-v1 LLM events (:func:`span_to_event`) and are produced
to ``tripwire.llm`` keyed by app, as JSON arrays, so they pass through exactly the validation,
dead-letter, store and monitor path of SDK events. The reply is sent only after the broker
acknowledged every message (at-least-once: an exporter that retries sends the same span ids,
and the store keeps one row per event id). Spans without GenAI attributes are counted and
ignored. A body that is not an OTLP trace export gets 400 and a dead letter
(``source_topic`` ``otlp:/v1/traces``); it never reaches the stream. Off loopback the same
bearer token as the read API is required.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import faust
import orjson
from faust.web import Request, Response, View

from sinks.clickhouse import tables
from streams.otlp._decode import OtlpError, decode_traces, gunzip
from streams.otlp._genai import is_genai, span_to_event

__all__ = ["OtlpIngest", "install_otlp", "OTLP_PATH", "DEADLETTER_SOURCE", "MAX_BODY_BYTES"]

log = logging.getLogger("tripwire.otlp")

OTLP_PATH = "/v1/traces"
DEADLETTER_SOURCE = "otlp:/v1/traces"
MAX_BODY_BYTES = 16 * 1024 * 1024  # as received (compressed or not)
MAX_KAFKA_BYTES = 512 * 1024  # one produced message; the worker's default limit is 1 MiB
_DEADLETTER_KEEP = 256 * 1024

Send = Callable[[bytes, bytes], Awaitable[None]]  # (key, value) -> acknowledged
DeadLetter = Callable[[list[dict[str, Any]]], Awaitable[None]]


class OtlpIngest:
    """The endpoint's logic without Faust: decode, map, produce; counters for ``/api/v1``."""

    def __init__(self, send: Send, deadletter: DeadLetter) -> None:
        self.send, self.deadletter = send, deadletter
        self.counters = {"requests": 0, "rejected_requests": 0, "spans": 0, "genai_spans": 0,
                         "ignored_spans": 0, "skipped_operations": 0, "events": 0,
                         "messages": 0}

    async def handle(self, body: bytes, content_type: str,
                     encoding: str) -> tuple[int, dict[str, Any]]:
        """(HTTP status, summary) for one request body."""
        self.counters["requests"] += 1
        try:
            # aiohttp inflates gzip request bodies itself; a body still in gzip framing (a
            # server without that) is inflated here, with the same size limit.
            if encoding.strip().lower() == "gzip" and body[:2] == b"\x1f\x8b":
                body = gunzip(body)
            elif encoding.strip().lower() not in ("", "identity", "gzip"):
                raise OtlpError(f"unsupported Content-Encoding {encoding!r}: use gzip or none")
            spans = decode_traces(body, content_type)
        except OtlpError as exc:
            await self._reject(str(exc), body, content_type)
            return 400, {"error": str(exc)}
        events = self._events(spans)
        for key, value in _messages(events):
            await self.send(key, value)
            self.counters["messages"] += 1
        self.counters["events"] += len(events)
        return 200, {"spans": len(spans), "events": len(events)}

    def _events(self, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        c = self.counters
        c["spans"] += len(spans)
        out = []
        for span in spans:
            if not is_genai(span):
                c["ignored_spans"] += 1
                continue
            c["genai_spans"] += 1
            event = span_to_event(span)
            if event is None:
                c["skipped_operations"] += 1
            else:
                out.append(event)
        return out

    async def unreadable(self, reason: str) -> tuple[int, dict[str, Any]]:
        """A body the web server could not read (e.g. declared gzip but not gzip)."""
        self.counters["requests"] += 1
        await self._reject(reason, b"", "")
        return 400, {"error": reason}

    async def _reject(self, reason: str, body: bytes, content_type: str) -> None:
        self.counters["rejected_requests"] += 1
        kept = body[:_DEADLETTER_KEEP]
        original = kept if "json" in content_type else b"base64:" + base64.b64encode(kept)
        now = time.time()
        row = tables.deadletter.record(DEADLETTER_SOURCE, 0, time.time_ns() // 1000, 0,
                                       f"otlp: {reason}", original, now)
        log.warning("rejected an OTLP request: %s", reason)
        await self.deadletter([row])


def _messages(events: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    """JSON-array messages per app, each under ``MAX_KAFKA_BYTES``."""
    by_app: dict[str, list[bytes]] = {}
    for event in events:
        by_app.setdefault(event["app"], []).append(orjson.dumps(event))
    out = []
    for app, encoded in by_app.items():
        chunk: list[bytes] = []
        size = 2
        for item in encoded:
            if chunk and size + len(item) + 1 > MAX_KAFKA_BYTES:
                out.append((app.encode(), b"[" + b",".join(chunk) + b"]"))
                chunk, size = [], 2
            chunk.append(item)
            size += len(item) + 1
        out.append((app.encode(), b"[" + b",".join(chunk) + b"]"))
    return out


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit``."""
    length = request.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(1 << 16)  # type: ignore[attr-defined]
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def install_otlp(app: faust.App, ingest: OtlpIngest, ready: Callable[[], bool],
                 authorized: Callable[[Request], bool]) -> None:
    """Register ``POST /v1/traces`` (``ready``: the store is open, dead letters can be kept)."""

    async def post(self: View, request: Request) -> Response:
        if not authorized(request):
            return _reply(self, 401, {"error": "missing or wrong bearer token",
                                      "fix": "send Authorization: Bearer $TRIPWIRE_API_TOKEN"})
        if not ready():
            return _reply(self, 503, {"error": "worker starting, retry in a few seconds"},
                          {"Retry-After": "2"})
        content_type = request.headers.get("Content-Type", "")
        try:
            body = await _read_body(request, MAX_BODY_BYTES)
        except Exception as exc:  # noqa: BLE001 - e.g. aiohttp's ContentEncodingError
            return _reply(self, *await ingest.unreadable(
                f"body could not be read ({type(exc).__name__}: {exc})"))
        if body is None:
            return _reply(self, 413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"})
        status, summary = await ingest.handle(body, content_type,
                                              request.headers.get("Content-Encoding", ""))
        if status == 200 and "protobuf" in content_type:
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
                ExportTraceServiceResponse,
            )
            return self.bytes(ExportTraceServiceResponse().SerializeToString(),
                              content_type="application/x-protobuf", status=200)
        return _reply(self, status, summary if status != 200 else {})

    app.page(OTLP_PATH)(type("OtlpTraces", (View,), {"post": post}))


def _reply(view: View, status: int, body: dict[str, Any],
           headers: dict[str, str] | None = None) -> Response:
    return view.bytes(orjson.dumps(body), content_type="application/json", status=status,
                      headers=headers)
