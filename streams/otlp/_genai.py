"""OpenTelemetry GenAI spans to Tripwire LLM events (schema v1). Pure; never raises.

The mapping (docs/otel.md):

==================================================  ========================================
span                                                 LLM event
==================================================  ========================================
``tripwire.app`` (span, then resource), else         ``app``
resource ``service.name``
``tripwire.prompt_version`` (span, then resource)    ``prompt_version`` (default ``unknown``)
``gen_ai.response.model``, else                      ``llm_model``
``gen_ai.request.model``
``gen_ai.system_instructions`` +                     ``prompt``
``gen_ai.input.messages``, else ``gen_ai.prompt``
(JSON or text), else ``gen_ai.prompt.N.content``,
else the ``gen_ai.content.prompt`` span event
``gen_ai.output.messages``, else                     ``response``
``gen_ai.completion`` / ``gen_ai.completion.N.*`` /
the ``gen_ai.content.completion`` span event
``gen_ai.usage.input_tokens`` / ``output_tokens``    ``usage`` (both needed)
(or ``prompt_tokens`` / ``completion_tokens``)
end - start                                          ``latency_ms``; ``ts`` = end time
``tripwire.context`` (string list, JSON or text)     ``context``
``tripwire.user`` / ``user.id`` / ``enduser.id``     ``user``
``tripwire.feedback`` (-1, 0, 1)                     ``feedback``
trace id + span id                                   ``event_id`` (a re-sent span is one event)
==================================================  ========================================

A span is a GenAI span when it has any ``gen_ai.*`` attribute; spans whose
``gen_ai.operation.name`` is not a model call (``embeddings``, ``execute_tool``,
``invoke_agent``, ``create_agent``) are skipped, so an agent span and its chat span are not
counted twice.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from streams.messages import messages_text

__all__ = ["is_genai", "span_to_event", "MODEL_CALLS"]

MODEL_CALLS = frozenset({"chat", "text_completion", "generate_content", "completion"})
UNKNOWN = "unknown"
_INDEXED = re.compile(r"gen_ai\.(prompt|completion)\.(\d+)\.(role|content)$")


def is_genai(span: dict[str, Any]) -> bool:
    """True when the span carries any ``gen_ai.*`` attribute."""
    return any(key.startswith("gen_ai.") for key in span["attributes"])


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def _messages(value: Any) -> Any:
    """A messages attribute: a JSON string (the convention), a structured value, or text."""
    if isinstance(value, str):
        stripped = value.lstrip()
        if stripped.startswith(("[", "{")):
            try:
                return orjson.loads(stripped)
            except orjson.JSONDecodeError:
                return value
    return value


def _indexed(attrs: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        m = _INDEXED.match(key)
        if m and m.group(1) == kind:
            found.setdefault(int(m.group(2)), {})[m.group(3)] = value
    return [found[i] for i in sorted(found)]


def _event_attr(span: dict[str, Any], name: str, key: str) -> Any:
    return next((e["attributes"].get(key) for e in span["events"] if e["name"] == name), None)


def _prompt(span: dict[str, Any]) -> str:
    a = span["attributes"]
    messages = _first(a.get("gen_ai.input.messages"), a.get("gen_ai.prompt"),
                      _indexed(a, "prompt") or None,
                      _event_attr(span, "gen_ai.content.prompt", "gen_ai.prompt"))
    text = messages_text(_messages(messages)) if messages is not None else ""
    system = a.get("gen_ai.system_instructions")
    if system is not None:
        text = "\n\n".join(t for t in (messages_text(_messages(system)), text) if t)
    return text


def _response(span: dict[str, Any]) -> str:
    a = span["attributes"]
    messages = _first(a.get("gen_ai.output.messages"), a.get("gen_ai.completion"),
                      _indexed(a, "completion") or None,
                      _event_attr(span, "gen_ai.content.completion", "gen_ai.completion"))
    return messages_text(_messages(messages), roles=False) if messages is not None else ""


def _usage(a: dict[str, Any]) -> dict[str, int] | None:
    inp = _first(a.get("gen_ai.usage.input_tokens"), a.get("gen_ai.usage.prompt_tokens"))
    out = _first(a.get("gen_ai.usage.output_tokens"), a.get("gen_ai.usage.completion_tokens"))
    if isinstance(inp, (int, float)) and isinstance(out, (int, float)):
        return {"input_tokens": int(inp), "output_tokens": int(out)}
    return None


def _context(value: Any) -> list[str] | None:
    value = _messages(value) if isinstance(value, str) else value
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else orjson.dumps(v).decode() for v in value]
    return None


def _event_id(span: dict[str, Any]) -> str:
    if span["trace_id"] and span["span_id"]:
        return span["trace_id"] + span["span_id"]
    key = f"{span['name']}|{span['start_ns']}|{span['end_ns']}|{sorted(span['attributes'])}"
    return hashlib.sha1(key.encode()).hexdigest()


def _identity(span: dict[str, Any]) -> dict[str, Any]:
    a, r = span["attributes"], span["resource"]
    return {"app": str(_first(a.get("tripwire.app"), r.get("tripwire.app"),
                              r.get("service.name")) or "unknown_service"),
            "prompt_version": str(_first(a.get("tripwire.prompt_version"),
                                         r.get("tripwire.prompt_version")) or UNKNOWN),
            "llm_model": str(_first(a.get("gen_ai.response.model"),
                                    a.get("gen_ai.request.model")) or UNKNOWN)}


def span_to_event(span: dict[str, Any]) -> dict[str, Any] | None:
    """The LLM event of a GenAI model-call span, or None (not GenAI, or not a model call).

    The event still goes through ``tripwire_sdk.events.validate`` in the worker's ingest."""
    a = span["attributes"]
    if not is_genai(span) or a.get("gen_ai.operation.name", "chat") not in MODEL_CALLS:
        return None
    start, end = span["start_ns"], span["end_ns"] or span["start_ns"]
    event: dict[str, Any] = {"type": "llm", "schema": 1, "event_id": _event_id(span),
                             "ts": end / 1e9, **_identity(span), "prompt": _prompt(span),
                             "response": _response(span)}
    if end >= start > 0:
        event["latency_ms"] = (end - start) / 1e6
    optional = {"usage": _usage(a), "context": _context(a.get("tripwire.context")),
                "user": _first(a.get("tripwire.user"), a.get("user.id"), a.get("enduser.id")),
                "feedback": a.get("tripwire.feedback"),
                "service": span["resource"].get("service.name")}
    event.update({k: v for k, v in optional.items() if v is not None})
    return event
