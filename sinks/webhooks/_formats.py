"""Message bodies: generic signed JSON, Slack incoming webhook, PagerDuty Events API v2.

Bodies depend only on the notification (never on the send time), so every retry of one
webhook-id carries byte-identical content.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from ._noise import Notification

__all__ = ["dedup_key", "render", "summarize"]

_PD_SEVERITIES = ("critical", "error", "warning", "info")
_MAX_SLACK_LINES = 20


def _clean(value: Any) -> Any:
    """Replace NaN/inf by None so that the body is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _dumps(obj: Any) -> bytes:
    return json.dumps(
        _clean(obj),
        sort_keys=True,
        separators=(",", ":"),
        default=str,
        allow_nan=False,
        ensure_ascii=False,
    ).encode()


def _iso(ts: Any) -> str:
    try:
        return datetime.fromtimestamp(float(ts), UTC).isoformat().replace("+00:00", "Z")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def summarize(record: dict) -> str:
    """One line for humans, e.g. ``FIRING churn drift.wasserstein[age]=0.31 (threshold 0.1)``."""
    entity = f"{record.get('entity_type', '')}:{record.get('entity', '')}".lstrip(":")
    if record.get("kind") == "trigger":
        reasons = "; ".join(str(r) for r in record.get("reason") or [])
        return f"TRIGGER {record.get('type', '?')} {entity}: {reasons}".strip()
    dim = f"[{record['dimension']}]" if record.get("dimension") else ""
    return (
        f"{str(record.get('state', '?')).upper()} {entity} {record.get('metric', '?')}{dim}"
        f"={record.get('value')} (threshold {record.get('threshold')}, "
        f"{record.get('severity', 'warning')})"
    )


def _event_type(n: Notification) -> str:
    if n.kind == "trigger":
        return f"trigger.{n.records[0].get('type', 'unknown')}"
    states = {r.get("state") for r in n.records}
    return f"alert.{states.pop()}" if len(states) == 1 else "alert.group"


def _generic(n: Notification) -> dict:
    return {
        "type": _event_type(n),
        "timestamp": _iso(max(float(r.get("ts", 0) or 0) for r in n.records)),
        "data": {
            "entity_type": n.entity_type,
            "entity": n.entity,
            "count": len(n.records),
            "repeat": n.repeat_at is not None,
            "suppressed_changes": n.suppressed,
            "records": list(n.records),
        },
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(n: Notification) -> dict:
    kind = _event_type(n).replace(".", " ").upper()
    prefix = "REPEAT " if n.repeat_at is not None else ""
    title = f"{prefix}{kind}: {n.entity_type} {n.entity} ({len(n.records)})"
    lines = [f"• {_slack_escape(summarize(r))}" for r in n.records[:_MAX_SLACK_LINES]]
    if len(n.records) > _MAX_SLACK_LINES:
        lines.append(f"…and {len(n.records) - _MAX_SLACK_LINES} more")
    if n.suppressed:
        lines.append(f"_{n.suppressed} state changes suppressed (flapping)_")
    return {
        "text": _slack_escape(title if len(n.records) > 1 else summarize(n.records[0]))[:3000],
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"tripwire · {n.webhook_id}"}],
            },
        ],
    }


def dedup_key(record: dict) -> str:
    """PagerDuty dedup_key: stable per alert (trigger, resolve share it), <= 255 chars."""
    if record.get("kind") == "trigger":
        return f"tripwire/trigger/{record.get('trigger_id')}"[:255]
    return f"tripwire/alert/{record.get('alert_id')}"[:255]


def _pagerduty(n: Notification, routing_key: str) -> dict:
    if len(n.records) != 1:
        raise ValueError("PagerDuty takes one alert per event; set group_wait_s: 0")
    r = n.records[0]
    body = {"routing_key": routing_key, "dedup_key": dedup_key(r), "client": "Tripwire"}
    if r.get("kind") != "trigger" and r.get("state") == "resolved":
        return {**body, "event_action": "resolve"}
    severity = r.get("severity") if r.get("severity") in _PD_SEVERITIES else "warning"
    return {
        **body,
        "event_action": "trigger",
        "payload": {
            "summary": summarize(r)[:1024],
            "source": f"{n.entity_type}/{n.entity}".strip("/") or "tripwire",
            "severity": "info" if r.get("kind") == "trigger" else severity,
            "timestamp": _iso(r.get("ts")),
            "component": n.entity,
            "group": n.entity_type,
            "class": str(r.get("metric") or r.get("type") or ""),
            "custom_details": r,
        },
    }


def render(dest: Any, n: Notification) -> bytes:
    """The JSON body of `n` for `dest` (a Destination)."""
    if dest.type == "slack":
        return _dumps(_slack(n))
    if dest.type == "pagerduty":
        return _dumps(_pagerduty(n, dest.routing_key_value()))
    return _dumps(_generic(n))
