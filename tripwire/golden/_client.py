"""The calls to the model under test: OpenAI-compatible ``/chat/completions`` with a timeout
per attempt and retries on 429, 5xx and connection errors that honour ``Retry-After``.

The API key lives in a :class:`~streams._judge_http.Secret` (its repr never shows it), is sent
only as the bearer token, and every error text is scrubbed of it. Errors name the status or the
exception type, never the response body.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from streams._judge_http import Secret, chat_url, retry_after_s
from streams._judge_prompt import usage_tokens

__all__ = ["ChatClient", "ChatReply", "ChatError"]

_MAX_BODY = 4 << 20


class ChatError(Exception):
    """A case's call failed for good; ``str()`` is safe to print and store."""


@dataclass(frozen=True)
class ChatReply:
    """The answer text, provider usage (input, output tokens) if reported, the latency of the
    attempt that succeeded, and how many attempts it took."""

    text: str
    usage: tuple[int, int] | None
    latency_ms: float
    attempts: int


class ChatClient:
    """``POST <endpoint>/chat/completions`` for one model."""

    def __init__(self, endpoint: str, model: str, api_key: str | None = None, *,
                 timeout_s: float = 60.0, retries: int = 3, max_tokens: int = 512,
                 temperature: float = 0.0, allow_http: bool = False,
                 retry_cap_s: float = 30.0) -> None:
        self.url = chat_url(endpoint, allow_http)
        self.model, self.timeout_s, self.retries = model, float(timeout_s), int(retries)
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self.retry_cap_s = float(retry_cap_s)
        self._key = Secret(api_key)

    def __repr__(self) -> str:
        return f"ChatClient(url={self.url!r}, model={self.model!r}, key={self._key!r})"

    def _headers(self) -> dict[str, str]:
        key = self._key.reveal()
        return {"Content-Type": "application/json",
                **({"Authorization": f"Bearer {key}"} if key else {})}

    async def complete(self, session: aiohttp.ClientSession,
                       messages: list[dict[str, Any]]) -> ChatReply:
        """The model's answer to ``messages``; :class:`ChatError` when every attempt failed."""
        payload = {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                   "temperature": self.temperature}
        for attempt in range(1, self.retries + 2):
            started = time.perf_counter()
            try:
                status, retry_after, body = await self._post(session, payload)
            except TimeoutError:
                raise ChatError(f"timeout: no reply within {self.timeout_s:g}s") from None
            except aiohttp.ClientError as exc:
                status, retry_after, body = 0, None, type(exc).__name__
            latency_ms = (time.perf_counter() - started) * 1e3
            if status == 200:
                return self._reply(body, latency_ms, attempt)
            if (status in (0, 429) or status >= 500) and attempt <= self.retries:
                backoff = min(self.retry_cap_s, 0.5 * 2 ** (attempt - 1)) * random.uniform(1, 1.5)
                await asyncio.sleep(retry_after_s(retry_after, backoff, self.retry_cap_s,
                                                  time.time()))
                continue
            what = f"HTTP {status}" if status else f"connection failed ({body})"
            raise ChatError(self._key.scrub(f"{what} after {attempt} attempt(s)"))
        raise AssertionError("unreachable")

    async def _post(self, session: aiohttp.ClientSession,
                    payload: dict[str, Any]) -> tuple[int, str | None, Any]:
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with session.post(self.url, json=payload, headers=self._headers(),
                                timeout=timeout) as resp:
            return resp.status, resp.headers.get("Retry-After"), \
                await resp.content.read(_MAX_BODY + 1)

    def _reply(self, body: bytes, latency_ms: float, attempts: int) -> ChatReply:
        if len(body) > _MAX_BODY:
            raise ChatError("reply larger than 4 MiB")
        try:
            reply = json.loads(body)
            text = reply["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ChatError("reply is not a chat completion (no choices[0].message.content)") \
                from None
        if not isinstance(text, str):
            text = "" if text is None else json.dumps(text)
        return ChatReply(text, usage_tokens(reply) if isinstance(reply, dict) else None,
                         latency_ms, attempts)
