"""Constants, limits, the error type and the scalar checks shared by validation and builders.

Everything here is O(1) per value. Reasons name the field and the problem and never echo the
value itself (events may carry personal data).
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .names import BY_EVENT_TYPE

SCHEMA_VERSION = 1
TOPICS: dict[str, str] = dict(BY_EVENT_TYPE)  # event type -> its input topic

NAME_MAX = 1024  # identifiers: event_id, model, app, versions, prediction_id, service, user
_INT_MAX = 2**63  # integers beyond this cannot become a float64 or a ClickHouse Int64
_TS_MAX = 1e11  # ~ year 5138; epoch milliseconds are ~1.7e12 and land beyond it
_ISO_MAX = 64


@dataclass(frozen=True)
class Limits:
    """Validation limits. The worker builds one from its settings; the SDK uses the defaults."""

    max_message_bytes: int = 1_048_576  # one Kafka message (may hold an array of events)
    max_event_bytes: int = 262_144  # one event, estimated from string lengths
    max_features: int = 500
    max_text_chars: int = 200_000  # prompt, response, each context document
    max_context_docs: int = 100
    max_batch_events: int = 10_000  # events in one array message


DEFAULT_LIMITS = Limits()


class EventError(ValueError):
    """An event breaks schema v1. ``reason`` is short, names the field and the problem."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_KIND = {
    dict: "object",
    list: "list",
    tuple: "list",
    str: "string",
    int: "number",
    float: "number",
    bool: "bool",
    type(None): "null",
}


def kind_of(value: Any) -> str:
    """JSON-ish name of a value's type for error reasons."""
    return _KIND.get(type(value)) or type(value).__name__


def why(obj: dict, key: str, where: str, expected: str) -> EventError:
    """Build the error for ``obj[key]`` not being ``expected``."""
    if key not in obj:
        return EventError(f"{where}: missing")
    value = obj[key]
    if type(value) is str:
        problem = "empty" if not value else "too long"
        return EventError(f"{where}: expected {expected}, got {problem} string")
    return EventError(f"{where}: expected {expected}, got {kind_of(value)}")


def number(value: Any, where: str) -> Any:
    """Return ``value`` as a finite int or float (never bool); raise EventError otherwise."""
    t = type(value)
    if t is float:
        if value - value:  # NaN or +-inf
            raise EventError(f"{where}: expected a finite number, got {_nonfinite(value)}")
        return value
    if t is int:
        if -_INT_MAX <= value <= _INT_MAX:
            return value
        raise EventError(f"{where}: integer out of range (beyond 2**63)")
    if t is not bool:
        coerced = coerce_number(value)
        if coerced is not None:
            return number(coerced, where)
    raise EventError(f"{where}: expected number, got {kind_of(value)}")


def coerce_number(value: Any) -> Any:
    """float/int subclasses and numpy-like scalars to builtins; None when not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    item = getattr(value, "item", None)
    if item is not None and hasattr(value, "dtype"):
        try:
            plain = item()
        except Exception:
            return None
        if type(plain) in (int, float):
            return plain
    return None


def latency(value: Any, where: str) -> Any:
    """An optional ``latency_ms``: a finite number >= 0 (one rule for predictions and LLM
    calls, at the call and on the wire)."""
    out = number(value, where)
    if out < 0:
        raise EventError(f"{where}: expected a non-negative number")
    return out


def _nonfinite(value: float) -> str:
    return "NaN" if value != value else "infinity"


def scalar(value: Any, where: str, max_chars: int) -> Any:
    """A prediction or label value: number, string or bool (never null)."""
    t = type(value)
    if t is str:
        if len(value) > max_chars:
            raise EventError(f"{where}: string longer than {max_chars} characters")
        return value
    if t is bool:
        return value
    if t is float or t is int:
        return number(value, where)
    if isinstance(value, str):
        return scalar(str(value), where, max_chars)
    item = getattr(value, "item", None)
    if item is not None and hasattr(value, "dtype"):  # numpy scalar
        try:
            plain = item()
        except Exception:
            plain = None
        if type(plain) in (str, bool, int, float):
            return scalar(plain, where, max_chars)
    if value is not None:
        coerced = coerce_number(value)
        if coerced is not None:
            return number(coerced, where)
    raise EventError(f"{where}: expected number, string or bool, got {kind_of(value)}")


def ts_value(value: Any, where: str = "ts") -> float:
    """Event time as float epoch seconds from epoch seconds, ISO-8601 with offset or datetime."""
    t = type(value)
    if t is float:
        x = value
    elif t is int:
        if not -_TS_MAX < value < _TS_MAX:
            raise EventError(f"{where}: epoch seconds out of range (milliseconds?)")
        x = float(value)
    elif t is str:
        x = _iso(value, where)
    elif isinstance(value, datetime):
        x = _aware(value, where)
    else:
        coerced = None if value is None else coerce_number(value)
        if coerced is None:
            raise EventError(
                f"{where}: expected epoch seconds or ISO-8601 string, got {kind_of(value)}"
            )
        return ts_value(coerced, where)
    if x - x:
        raise EventError(f"{where}: expected a finite number, got {_nonfinite(x)}")
    if not -_TS_MAX < x < _TS_MAX:
        raise EventError(f"{where}: epoch seconds out of range (milliseconds?)")
    return x


def _iso(text: str, where: str) -> float:
    if not text or len(text) > _ISO_MAX:
        raise EventError(f"{where}: expected ISO-8601 timestamp, got empty or too long string")
    if text[-1] in "Zz":  # Python < 3.11 does not read the Z suffix
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _iso_fallback(text, where)
    return _aware(parsed, where)


_ISO_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?"
    r"(?:([+-])(\d\d):?(\d\d))?", re.ASCII)


def _iso_fallback(text: str, where: str) -> datetime:
    """The common RFC 3339 forms that ``fromisoformat`` of Python < 3.11 rejects (any number
    of fraction digits, ``+hhmm`` offsets)."""
    match = _ISO_RE.fullmatch(text)
    if match is None:
        raise EventError(f"{where}: not an ISO-8601 timestamp or epoch seconds")
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    try:
        tz = None
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            tz = timezone(-offset if sign == "-" else offset)
        return datetime(int(year), int(month), int(day), int(hour), int(minute),
                        int(second or 0), int((fraction or "0")[:6].ljust(6, "0")), tzinfo=tz)
    except ValueError:  # e.g. month 13, or an offset of 24 hours or more
        raise EventError(f"{where}: not an ISO-8601 timestamp or epoch seconds") from None


def _aware(moment: datetime, where: str) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise EventError(f"{where}: ISO-8601 timestamp without UTC offset (add 'Z' or '+00:00')")
    return moment.timestamp()


def parse_ts(value: Any) -> float:
    """Parse an event time: epoch seconds (int/float), ISO-8601 with offset ('Z' or '+hh:mm')
    or an aware datetime, to float epoch seconds. Naive timestamps raise EventError."""
    return ts_value(value, "ts")


_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)
# A private generator, seeded from os.urandom and re-seeded in forked children: the ids stay
# unique when the host seeds the global ``random`` (ML code often does) or forks workers.
# Event ids must be unique, not secret; this is ~3x cheaper than a getrandom() call per id.
_ids = random.Random()
_bits = _ids.getrandbits
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)


def new_event_id() -> str:
    """A random UUID4 as 32 hex digits (same value space as ``uuid.uuid4().hex``)."""
    return "%032x" % ((_bits(128) & _V4_CLEAR) | _V4_SET)
