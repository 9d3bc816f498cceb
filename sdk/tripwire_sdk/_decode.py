"""Decoding of Kafka message values (a JSON object or an array of events) for the worker."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ._fastdecode import fast_events
from ._schema import DEFAULT_LIMITS, EventError, Limits, kind_of
from ._validate import validate

Decoded = tuple[list[dict], list[tuple[str, bytes]]]

try:  # the accelerator parses with orjson: it stands in only where the caller would too
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - depends on the environment
    _orjson_loads = None  # type: ignore[assignment]


def decode_message(
    raw: Any, limits: Limits = DEFAULT_LIMITS, loads: Callable[[Any], Any] = json.loads
) -> Decoded:
    """Decode one Kafka message value (a JSON object or an array of objects).

    Returns ``(events, rejected)``: valid normalized events and ``(reason, original_bytes)``
    pairs. A message that is not JSON, too large or not an object/array is rejected whole; in
    an array each bad element is rejected alone (re-encoded as JSON). Never raises.
    """
    try:
        data = _as_bytes(raw)
        if data is None:
            return [], [(f"message: expected bytes, got {kind_of(raw)}", b"")]
        if len(data) > limits.max_message_bytes:
            limit = limits.max_message_bytes
            return [], [(f"message: {len(data)} bytes exceed max_message_bytes={limit}", data)]
        return _decode(data, limits, loads)
    except Exception as err:  # a bug or a hostile `loads`: never crash the consumer
        return [], [(f"message: could not be decoded ({type(err).__name__})", _safe_bytes(raw))]


def _as_bytes(raw: Any) -> Any:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, (bytearray, memoryview)):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogatepass")
    return None


def _safe_bytes(raw: Any) -> bytes:
    try:
        return _as_bytes(raw) or b""
    except Exception:
        return b""


def _decode(data: bytes, limits: Limits, loads: Callable[[Any], Any]) -> Decoded:
    if loads is _orjson_loads:
        fast = fast_events(data, limits)  # the common case, checked in C (see _fastdecode)
        if fast is not None:
            return fast, []
    try:
        obj = loads(data)
    except Exception as err:
        return [], [(f"message: invalid JSON ({type(err).__name__})", data)]
    if type(obj) is dict:
        try:
            return [validate(obj, limits)], []
        except EventError as err:
            return [], [(err.reason, data)]
    if type(obj) is not list:
        return [], [(f"message: expected JSON object or array, got {kind_of(obj)}", data)]
    if len(obj) > limits.max_batch_events:
        reason = f"message: {len(obj)} events exceed max_batch_events={limits.max_batch_events}"
        return [], [(reason, data)]
    events: list[dict] = []
    rejected: list[tuple[str, bytes]] = []
    for item in obj:
        try:
            events.append(validate(item, limits))
        except EventError as err:
            rejected.append((err.reason, _reencode(item)))
    return events, rejected


def _reencode(item: Any) -> bytes:
    try:
        return json.dumps(item, separators=(",", ":"), default=repr).encode("ascii")
    except Exception:
        pass
    try:
        return repr(item)[:10_000].encode("utf-8", "backslashreplace")
    except Exception:
        return b"<unencodable element>"
