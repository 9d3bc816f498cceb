"""The identity of one alert state change or trigger, shared by both sinks.

Webhook ids are derived from it and delivery attempts record it (``refs``); the store's read
queries give each alert and trigger the same key (``ref``). A module of its own so that the
store's queries need not import the webhook package (aiohttp and its configuration code).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["record_key"]


def record_key(record: Mapping[str, Any]) -> str:
    """Stable identity of one record: alert_id|state|ts, or the trigger_id."""
    if record.get("kind") == "trigger":
        return f"trigger|{record.get('trigger_id')}"
    return f"alert|{record.get('alert_id')}|{record.get('state')}|{float(record.get('ts', 0))!r}"
