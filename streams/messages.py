"""Chat messages to plain text, one rule for every shape Tripwire reads.

Shapes: a string; OpenAI chat messages ``{"role", "content": str | [{"type": "text",
"text"}]}``; OpenTelemetry GenAI messages ``{"role", "parts": [{"type": "text", "content"}]}``
(semantic conventions 1.37+); lists of those. Non-text parts (tool calls, images) are skipped.
Used by the OTLP ingest (``gen_ai.input.messages``) and ``tripwire golden run`` (case inputs),
so a prompt reads the same whichever way it reached Tripwire.
"""

from __future__ import annotations

from typing import Any

__all__ = ["content_text", "messages_text"]


def content_text(content: Any) -> str:
    """Text of one message's ``content`` or ``parts`` (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and part.get("type", "text") == "text":
            value = part.get("content", part.get("text"))
            if isinstance(value, str):
                texts.append(value)
    return "\n".join(texts)


def _message_text(message: Any) -> tuple[str, str]:
    if isinstance(message, str):
        return "", message
    if not isinstance(message, dict):
        return "", ""
    body = message.get("parts") if "parts" in message else message.get("content")
    role = message.get("role")
    return (role if isinstance(role, str) else ""), content_text(body)


def messages_text(messages: Any, roles: bool = True) -> str:
    """One string for a list of messages: the text itself for a single message, else one
    ``role: text`` paragraph per message (``roles=False``: text only). Empty texts are
    skipped."""
    if isinstance(messages, (str, dict)):
        messages = [messages]
    if not isinstance(messages, list):
        return ""
    pairs = [(role, text) for role, text in map(_message_text, messages) if text]
    if len(pairs) == 1 or not roles:
        return "\n\n".join(text for _, text in pairs)
    return "\n\n".join(f"{role}: {text}" if role else text for role, text in pairs)
