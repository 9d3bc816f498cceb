"""OTLP/HTTP trace bodies (protobuf or JSON, optionally gzip) to plain span dicts.

Both encodings give the same shape, so the GenAI mapping does not care which one came in::

    {"trace_id": hex, "span_id": hex, "name": str, "start_ns": int, "end_ns": int,
     "attributes": {key: value}, "events": [{"name": str, "attributes": {...}}],
     "resource": {key: value}}

Attribute values become Python values (str, bool, int, float, list, dict; bytes as hex).
Anything that is not a valid ExportTraceServiceRequest raises :class:`OtlpError`.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

import orjson

__all__ = ["OtlpError", "decode_traces", "gunzip", "MAX_DECODED_BYTES"]

MAX_DECODED_BYTES = 64 * 1024 * 1024  # after gzip; guards against a compression bomb


class OtlpError(ValueError):
    """The body is not an OTLP trace export request; the message says why (never echoes it)."""


def gunzip(body: bytes, limit: int = MAX_DECODED_BYTES) -> bytes:
    """Decompress a gzip body, refusing more than ``limit`` bytes of output."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise OtlpError(f"Content-Encoding is gzip but the body is not valid gzip ({exc})") \
            from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise OtlpError(f"gzip body inflates to more than {limit} bytes")
    return out


def decode_traces(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """Spans of an ExportTraceServiceRequest; ``content_type`` picks the decoder."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("application/x-protobuf", "application/protobuf"):
        return _from_protobuf(body)
    if kind == "application/json":
        return _from_json(body)
    raise OtlpError(f"unsupported Content-Type {kind or '(none)'!r}: send "
                    "application/x-protobuf or application/json")


# -- protobuf ------------------------------------------------------------------------------
def _any_pb(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_any_pb(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _any_pb(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which)


def _attrs_pb(attributes: Any) -> dict[str, Any]:
    return {kv.key: _any_pb(kv.value) for kv in attributes}


def _from_protobuf(body: bytes) -> list[dict[str, Any]]:
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise OtlpError(f"body is not a protobuf ExportTraceServiceRequest "
                        f"({type(exc).__name__})") from None
    spans = []
    for rs in request.resource_spans:
        resource = _attrs_pb(rs.resource.attributes)
        for ss in rs.scope_spans:
            for span in ss.spans:
                spans.append({
                    "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                    "name": span.name, "start_ns": int(span.start_time_unix_nano),
                    "end_ns": int(span.end_time_unix_nano),
                    "attributes": _attrs_pb(span.attributes), "resource": resource,
                    "events": [{"name": e.name, "attributes": _attrs_pb(e.attributes)}
                               for e in span.events]})
    return spans


# -- JSON (OTLP/JSON: lowerCamelCase keys, hex ids, int64 as strings) ------------------------
def _any_json(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        return None
    key, inner = next(iter(value.items()))
    if key in ("stringValue", "boolValue", "doubleValue"):
        return inner
    if key == "intValue":
        return int(inner)
    if key == "arrayValue":
        return [_any_json(v) for v in (inner or {}).get("values", [])]
    if key == "kvlistValue":
        return _attrs_json((inner or {}).get("values", []))
    if key == "bytesValue":
        return base64.b64decode(inner).hex()
    raise OtlpError(f"unknown attribute value type {key!r}")


def _attrs_json(attributes: Any) -> dict[str, Any]:
    if not isinstance(attributes, list):
        raise OtlpError("attributes must be a list of {key, value}")
    return {kv["key"]: _any_json(kv.get("value")) for kv in attributes}


def _list(obj: Any, key: str) -> list[Any]:
    value = obj.get(key) or []
    if not isinstance(value, list):
        raise OtlpError(f"{key} must be a list")
    return value


def _span_json(span: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    return {"trace_id": str(span.get("traceId") or "").lower(),
            "span_id": str(span.get("spanId") or "").lower(), "name": str(span.get("name", "")),
            "start_ns": int(span.get("startTimeUnixNano") or 0),
            "end_ns": int(span.get("endTimeUnixNano") or 0),
            "attributes": _attrs_json(span.get("attributes") or []), "resource": resource,
            "events": [{"name": str(e.get("name", "")),
                        "attributes": _attrs_json(e.get("attributes") or [])}
                       for e in _list(span, "events")]}


def _from_json(body: bytes) -> list[dict[str, Any]]:
    try:
        data = orjson.loads(body)
        if not isinstance(data, dict):
            raise OtlpError("the JSON body must be an object with resourceSpans")
        spans: list[dict[str, Any]] = []
        for rs in _list(data, "resourceSpans"):
            resource = _attrs_json((rs.get("resource") or {}).get("attributes") or [])
            for ss in _list(rs, "scopeSpans"):
                spans.extend(_span_json(span, resource) for span in _list(ss, "spans"))
        return spans
    except OtlpError:
        raise
    except orjson.JSONDecodeError:
        raise OtlpError("body is not valid JSON") from None
    except (AttributeError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise OtlpError(f"JSON body is not an OTLP ExportTraceServiceRequest "
                        f"({type(exc).__name__})") from None
