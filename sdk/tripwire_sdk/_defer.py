"""Which events the caller may hand over unencoded, for the sender thread to encode.

Encoding is most of what a call costs (a 20-feature prediction: ~1.7 us with orjson, ~15 us
with the stdlib ``json``, on a 2-core box), and checking that an event will encode costs about
as much as encoding it with orjson. So the call checks cheaply and the sender verifies:

- a prediction whose feature values are all numbers (their ``sum`` is an int or a float: ~0.3
  us for 20 features) is handed over; the sender encodes it, and one that does not encode or
  exceeds ``max_event_bytes`` (exotic number types, a huge int, absurd feature names) is then
  counted as invalid (``Pipe.reject``) instead of on the call;
- a label is handed over when its exact size bound (from string lengths) is within the limit;
- ``thorough`` (no orjson, where encoding costs ~15 us): a prediction with strings or nulls too,
  when every value is a plain builtin (str, int within 2**63, float, bool, None; names are
  strings) and its size bound is within the limit;
- anything else is encoded on the call as before, and rejected there when it cannot be sent.

At most ``DEFER_MAX`` unencoded events wait in the queue (and the sender holds at most one
round, 5,000, while it encodes them). An event dict holding its features dict is tracked by the
garbage collector (~1.5 KB, against ~0.6 KB encoded); a queue that grows means the sender is
behind or the broker is away, and then callers encode again: the host's full collections never
scan more than ~9,000 of our dicts, and the memory bound stays ``max_queue`` x ~0.6 KB plus
~14 MB.

What the bound costs at full rate (``benchmarks.sdk_emit`` broker setting, 200k back-to-back
calls, 2 shared cores, 2026-12): the sender needs ~2.9 us of GIL per event (orjson ~2 us of it,
freeing the dicts ~0.5), about what a call costs, so 15-35% of calls find DEFER_MAX events
queued and encode themselves (p50 ~4.7 us, p99 16-23 us when every call does, build setting
with DEFER_MAX 0); they and the calls right after a GIL hand-off to the sender or Kafka's
network thread make the p99 (the lap after a multi-ms hand-off is ~15-25 us). A faster call
does not shrink that share (the caller only outruns the sender more). Without the bound the p99
median was 6.2-7.2 us against 8.1-9.3 us in interleaved runs, with up to ~50k unencoded dicts
(~75 MB, GC-tracked) queued. Did not pay: smaller sender rounds (_sender._TAKE 2500; or 1000
with DEFER_MAX 8192: more calls encode), ending the linger early at 2048 queued events (no
change), a lower priority (nice 10) for the sender thread (worse), and DEFER_MAX 16384
(inconsistent).
"""

from __future__ import annotations

from typing import Any

from ._schema import _INT_MAX

__all__ = ["DEFER_MAX", "deferrable"]

DEFER_MAX = 4096
_PLAIN = frozenset({float, int, bool, str, type(None)})
_PER_CHAR = 12  # worst case: an astral character \u-escaped as a surrogate pair (ASCII fallback)
_PER_VALUE = 28  # a number (float repr <= 24, int <= 20 characters) or null, quotes, colon, comma
_FIXED = 512  # field names, punctuation, ts, score, latency_ms, a numeric prediction or label


def deferrable(event: dict[str, Any], max_event_bytes: int, thorough: bool) -> bool:
    """True when the sender may encode ``event`` (as built by ``_build``); see the module."""
    kind = event["type"]
    if kind == "label":
        return _label_bound(event) <= max_event_bytes
    if kind != "prediction":
        return False
    if _numbers_only(event["features"]):
        return True
    return thorough and 0 <= _prediction_bound(event) <= max_event_bytes


def _numbers_only(features: dict[str, Any]) -> bool:
    try:
        total = sum(features.values())
    except Exception:  # a string, None, an object
        return False
    return type(total) is float or type(total) is int  # numpy, Decimal, complex sum to others


def _prediction_bound(event: dict[str, Any]) -> int:
    """Most bytes the event can encode to, or -1 when a feature is not plain."""
    features = event["features"]
    try:
        names = len("".join(features))
    except TypeError:  # a feature name that is not a string: the stdlib encoder decides
        return -1
    values = features.values()
    types = set(map(type, values))
    if not types <= _PLAIN:
        return -1
    if int in types and not all(-_INT_MAX <= v <= _INT_MAX for v in values if type(v) is int):
        return -1
    chars = names
    if str in types:
        chars += sum(len(v) for v in values if type(v) is str)
    prediction = event["prediction"]
    if type(prediction) is str:
        chars += len(prediction)
    chars += (len(event["event_id"]) + len(event["model"]) + len(event["model_version"])
              + len(event["prediction_id"]) + len(event.get("service", "")))
    return _FIXED + _PER_CHAR * chars + _PER_VALUE * len(features)


def _label_bound(event: dict[str, Any]) -> int:
    label = event["label"]
    chars = len(label) if type(label) is str else 0
    chars += (len(event["event_id"]) + len(event["model"]) + len(event["prediction_id"])
              + len(event.get("service", "")))
    return _FIXED + _PER_CHAR * chars
