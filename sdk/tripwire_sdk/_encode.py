"""Event serialization and packing into JSON-array messages.

An event is encoded on the caller's thread (``encode_event``) unless ``_defer.deferrable``
lets the sender thread do it (``encode_messages``), which takes that cost off the call. Encoded
events are compact ``bytes`` that the garbage collector skips; a queue of dicts would be
scanned again and again while the broker is away (measured: full collections of 20-90 ms in the
host), hence ``_defer.DEFER_MAX``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from math import isfinite
from typing import Any, NamedTuple

_orjson: Any
try:  # optional: ~7x faster; the SDK never requires it
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

_ORJSON_OPTS = 0 if _orjson is None else _orjson.OPT_SERIALIZE_NUMPY


def fast_encoder() -> bool:
    """True when orjson is there: encoding on the call costs about what ``_defer`` checks cost."""
    return _orjson is not None


def _default(obj: Any) -> Any:
    """JSON fallback for non-builtin values: numpy scalars/arrays, Decimal, datetime, sets."""
    item = getattr(obj, "item", None)
    if item is not None and hasattr(obj, "dtype"):
        try:
            value = item()
        except (ValueError, TypeError):  # an array with more than one element
            return obj.tolist()
        if isinstance(value, float) and not isfinite(value):
            return None
        return value
    if isinstance(obj, Decimal):
        return float(obj) if obj.is_finite() else None
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"cannot serialize {type(obj).__name__}")


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                            default=_default)
_ASCII = json.JSONEncoder(separators=(",", ":"), allow_nan=False, default=_default)


def _clean_features(event: dict) -> bool:
    """NaN/inf feature values mean 'missing': give the event a copy of its features with them
    as None (the dict may still be the caller's). True when something changed."""
    features = event.get("features")
    if not isinstance(features, dict):
        return False
    clean, changed = {}, False
    for key, value in features.items():
        if isinstance(value, float) and not isfinite(value):
            value, changed = None, True
        clean[key] = value
    if changed:
        event["features"] = clean
    return changed


def encode_event(event: dict) -> bytes | None:
    """One event as compact UTF-8 JSON (NaN/inf features as null), or None when impossible.

    May replace ``event["features"]`` by a copy without the non-finite values."""
    if _orjson is not None:
        try:  # NaN/inf become null. The result is copied (b"%b" is the cheapest exact copy):
            # orjson's own bytes object holds ~8 KB, the copy ~0.4 KB per queued event.
            return b"%b" % (_orjson.dumps(event, default=_default, option=_ORJSON_OPTS),)
        except Exception:  # lone surrogates, odd key types: let the stdlib try
            pass
    try:
        text = _COMPACT.encode(event)
    except ValueError:
        if not _clean_features(event):
            return None
        try:
            text = _COMPACT.encode(event)
        except Exception:
            return None
    except Exception:
        return None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: \u-escape them so the JSON stays valid
        return _ASCII.encode(event).encode("ascii")


class Packed(NamedTuple):
    """The messages of one (topic, key) and what could not go into them."""

    messages: list[tuple[bytes, int]]  # (JSON array, number of events)
    rejected: int  # events left unencoded by callers that do not encode or exceed the limit
    reason: str  # why the last one was rejected
    dropped: int  # encoded events too large for a message alone (max_event_bytes set too high)


def encode_messages(parts: list[bytes | dict], max_events: int, max_bytes: int,
                    max_event_bytes: int) -> Packed:
    """``pack`` the parts of one (topic, key), encoding the events left unencoded by callers
    (``_defer``) and checking them as the call would have. A chunk of ``max_events`` is encoded
    as one array in one call when that fits both limits (then each of its events does);
    otherwise event by event."""
    types = set(map(type, parts))
    if types == {bytes} and max(map(len, parts)) + 2 <= max_bytes:
        return Packed(list(pack(parts, max_events, max_bytes)), 0, "", 0)  # type: ignore[arg-type]
    out = Packed([], 0, "", 0)
    limit = min(max_bytes, max_event_bytes)
    for start in range(0, len(parts), max_events):
        chunk = parts[start:start + max_events]
        whole = _encode_array(chunk, bytes in types)
        if whole is not None and len(whole) <= limit:
            out.messages.append((whole, len(chunk)))
        else:
            out = _add(out, _encode_each(chunk, max_events, max_bytes, max_event_bytes))
    return out


def _add(a: Packed, b: Packed) -> Packed:
    return Packed(a.messages + b.messages, a.rejected + b.rejected, b.reason or a.reason,
                  a.dropped + b.dropped)


def _encode_array(chunk: list[bytes | dict], mixed: bool) -> bytes | None:
    """The chunk as one JSON array, or None when that fails (NaN for the stdlib encoder, an
    odd value, encoded parts without orjson.Fragment)."""
    try:
        if _orjson is not None:
            if mixed:
                chunk = [_orjson.Fragment(p) if isinstance(p, bytes) else p for p in chunk]
            return _orjson.dumps(chunk, option=_ORJSON_OPTS)  # type: ignore[no-any-return]
        return None if mixed else _COMPACT.encode(chunk).encode("utf-8")
    except Exception:
        return None


def _encode_each(parts: list[bytes | dict], max_events: int, max_bytes: int,
                 max_event_bytes: int) -> Packed:
    data: list[bytes] = []
    rejected = dropped = 0
    reason = ""
    for part in parts:
        if isinstance(part, bytes):
            encoded = part
        else:
            attempt = _encode_deferred(part)
            if attempt is None or len(attempt) > max_event_bytes:
                rejected += 1
                problem = "not JSON-serializable" if attempt is None else \
                    "larger than max_event_bytes"
                reason = f"{part.get('type')}: event {problem}"
                continue
            encoded = attempt
        if len(encoded) + 2 > max_bytes:
            dropped += 1
        else:
            data.append(encoded)
    return Packed(list(pack(data, max_events, max_bytes)), rejected, reason, dropped)


def _encode_deferred(event: dict) -> bytes | None:
    if _orjson is not None:  # the result is joined at once: no need to trim orjson's buffer
        try:
            return _orjson.dumps(event, option=_ORJSON_OPTS)  # type: ignore[no-any-return]
        except Exception:
            pass
    return encode_event(event)


def pack(parts: list[bytes], max_events: int, max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Join encoded events into ``[a,b,...]`` messages of at most ``max_events`` events and
    ``max_bytes`` bytes each. Every part must fit alone (``len(part) + 2 <= max_bytes``)."""
    for start in range(0, len(parts), max_events):
        chunk = parts[start:start + max_events]
        if sum(map(len, chunk)) + len(chunk) + 1 <= max_bytes:
            yield _array(chunk), len(chunk)
        else:
            yield from _pack_by_size(chunk, max_bytes)


def _pack_by_size(parts: list[bytes], max_bytes: int) -> Iterator[tuple[bytes, int]]:
    chunk: list[bytes] = []
    size = 1  # the opening bracket; each part adds its length plus a comma or the closing bracket
    for part in parts:
        if chunk and size + len(part) + 1 > max_bytes:
            yield _array(chunk), len(chunk)
            chunk, size = [], 1
        chunk.append(part)
        size += len(part) + 1
    if chunk:
        yield _array(chunk), len(chunk)


def _array(chunk: list[bytes]) -> bytes:
    """``[a,b,...]``, copying the large payload once (brackets go onto the end parts)."""
    first, last = chunk[0], chunk[-1]
    if len(chunk) == 1:
        return b"[%b]" % first
    return b",".join([b"[" + first, *chunk[1:-1], last + b"]"])
