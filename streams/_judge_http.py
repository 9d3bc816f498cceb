"""HTTP side of the judge: endpoint validation, the key holder, the POST with one retry,
Retry-After, throttled logs."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

__all__ = ["CallFailed", "Secret", "ThrottledLog", "chat_url", "post_json", "retry_after_s"]

MAX_BODY = 1 << 20


class CallFailed(Exception):
    """One call failed; ``kind`` and ``detail`` are safe to log; ``charge`` is the USD to book
    (a timed-out call may still be billed by the provider)."""

    def __init__(self, kind: str, detail: str, charge: float = 0.0) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail, self.charge = kind, detail, charge


class Secret:
    """Holds the API key; its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value or None

    def reveal(self) -> str | None:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of the key replaced by ``***``."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret(None)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[type, tuple[None]]:  # never pickle the key
        return (Secret, (None,))


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def chat_url(base_url: str, allow_http: bool = False) -> str:
    """``{base_url}/chat/completions`` after checking the base URL.

    https only; http only for a loopback host (127.0.0.0/8, ::1, localhost) unless
    ``allow_http``. Credentials in the URL are refused (they would end up in logs)."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError("judge base_url is empty: set it to e.g. https://api.openai.com/v1")
    try:
        parts = urlsplit(base_url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise ValueError("judge base_url is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"judge base_url must use https:// (got scheme {parts.scheme!r})")
    if not host:
        raise ValueError("judge base_url has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("judge base_url must not carry credentials: put the key in api_key")
    if parts.query or parts.fragment:
        raise ValueError("judge base_url must not have a query or fragment")
    if parts.scheme == "http" and not allow_http and not _is_loopback(host):
        raise ValueError(f"judge base_url uses plain http to {host!r}, which is not loopback: "
                         "use https://, or set allow_http: true to send prompts unencrypted")
    return f"{base_url.strip().rstrip('/')}/chat/completions"


def retry_after_s(value: str | None, default: float, cap: float, now: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), in [0, cap]."""
    delay = default
    if value:
        value = value.strip()
        try:
            delay = float(value)
        except ValueError:
            try:
                delay = parsedate_to_datetime(value).timestamp() - now
            except (TypeError, ValueError, IndexError, OverflowError):
                delay = default
    if delay != delay:  # NaN
        delay = default
    return min(cap, max(0.0, delay))


async def post_json(session: aiohttp.ClientSession, url: str, payload: dict[str, Any],
                    headers: dict[str, str], timeout_s: float, retry_cap_s: float,
                    on_retry: Callable[[], None], timeout_charge: float = 0.0) -> dict[str, Any]:
    """POST ``payload``; the JSON object of a 200 reply, else :class:`CallFailed`.

    One retry on 429/5xx after Retry-After (capped at ``retry_cap_s``, default 1 s). Error
    details name the status or exception type only: never the body, the URL or the headers."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    for attempt in (0, 1):
        try:
            async with session.post(url, json=payload, headers=headers, timeout=timeout) as resp:
                status, retry_after = resp.status, resp.headers.get("Retry-After")
                body = await resp.content.read(MAX_BODY + 1)
        except TimeoutError:
            raise CallFailed("timeout", f"no reply within {timeout_s:g}s",
                             timeout_charge) from None
        except aiohttp.ClientError as exc:
            raise CallFailed("http", type(exc).__name__) from None
        if (status == 429 or status >= 500) and attempt == 0:
            on_retry()
            await asyncio.sleep(retry_after_s(retry_after, 1.0, retry_cap_s, time.time()))
            continue
        if status != 200:
            raise CallFailed("http", f"HTTP {status}")
        if len(body) > MAX_BODY:
            raise CallFailed("reply", "body larger than 1 MiB")
        try:
            reply = json.loads(body)
        except ValueError:
            raise CallFailed("reply", "body is not JSON") from None
        if not isinstance(reply, dict):
            raise CallFailed("reply", "body is not a JSON object")
        return reply
    raise AssertionError("unreachable")


class ThrottledLog:
    """At most one record per ``key`` every ``interval_s``; says how many were suppressed."""

    def __init__(self, logger: logging.Logger, interval_s: float = 60.0) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self._next: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warning(self, key: str, msg: str, *args: object) -> None:
        now = time.monotonic()
        if now < self._next.get(key, 0.0):
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        self._next[key] = now + self.interval_s
        n = self._suppressed.pop(key, 0)
        if n:
            msg += f" ({n} similar suppressed in the last {self.interval_s:.0f}s)"
        self.logger.warning(msg, *args)
