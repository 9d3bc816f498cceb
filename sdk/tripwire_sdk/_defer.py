"""Which events the caller may hand over unencoded, for the sender thread to encode.

Encoding is most of what a call costs (a 20-feature prediction: ~2.5 us with orjson, ~15 us
with the stdlib ``json``, on a 2-core box). A prediction or label may skip it when it is
certain to encode, and to stay within ``max_event_bytes``: every value is a plain builtin
(str, int within 2**63, float, bool, None; feature names are strings) and an upper bound of its
encoded size, computed from string lengths, is within the limit. Any other event is encoded on
the call as before, so the call still returns "" (invalid) for an event that cannot be sent.

At most ``DEFER_MAX`` unencoded events wait in the queue. An event dict holding its features
dict is tracked by the garbage collector (~1.5 KB, against ~0.6 KB encoded); a queue that grows
means the sender is behind or the broker is away, and then callers encode again: the host's
full collections never scan more than ``DEFER_MAX`` of our dicts and the memory bound stays
``max_queue`` x ~0.6 KB plus ~6 MB.
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


def deferrable(event: dict[str, Any], max_event_bytes: int) -> bool:
    """True when ``event`` (as built by ``_build``) certainly encodes within ``max_event_bytes``
    and can be left to the sender to encode."""
    kind = event["type"]
    if kind == "prediction":
        size = _prediction_bound(event)
    elif kind == "label":
        size = _label_bound(event)
    else:
        return False
    return 0 <= size <= max_event_bytes


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
