"""`Deliverer`: send one notification to one destination, retry, log, dead-letter.

Each attempt is re-signed with a fresh ``webhook-timestamp`` but keeps the same
``webhook-id`` and the same body. Redirects are not followed; 2xx is success; 5xx, 408,
429 and network errors are retried on the policy's schedule (Retry-After is a floor);
other statuses are final; 410 also disables the destination for this process. Before
each attempt the log is asked whether the id was already delivered (restart safety).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from ._config import Destination
from ._errors import UnsafeDestinationError
from ._formats import render
from ._log import DeliveryLog
from ._noise import Notification
from ._retry import parse_retry_after, retryable
from ._signing import Secret, signature_headers
from ._ssrf import GuardedResolver, check_url

__all__ = ["DeliveryResult", "Deliverer"]

log = logging.getLogger("tripwire.webhooks")
USER_AGENT = "Tripwire-Webhooks/0.1"
_MAX_RESPONSE_BYTES = 64 * 1024


def _reveal(value: Secret | str) -> str:
    return value.reveal() if isinstance(value, Secret) else value


@dataclass(frozen=True)
class DeliveryResult:
    """Outcome of `Deliverer.deliver`."""

    destination: str
    webhook_id: str
    ok: bool
    attempts: int = 0
    status: int = 0
    latency_ms: float = 0.0
    error: str = ""
    skipped: bool = False
    dead_lettered: bool = False


@dataclass
class _Attempt:
    status: int = 0
    error: str = ""
    retry_after: float | None = None
    final: bool = False
    latency_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Deliverer:
    """Delivers notifications to one destination (one aiohttp session, guarded resolver)."""

    def __init__(
        self,
        destination: Destination,
        log: DeliveryLog,
        *,
        on_dead_letter: Callable[[dict], Any] | None = None,
        resolver: AbstractResolver | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.destination, self.log = destination, log
        self.on_dead_letter = on_dead_letter or getattr(log, "dead_letter", None)
        self.disabled = False
        self._resolver, self._clock, self._sleep = resolver, clock, sleep
        self._rng = rng or random.Random()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Deliverer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            dest = self.destination
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(dest.policy, self._resolver), use_dns_cache=False, limit=8
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=dest.timeout_s),
            )
        return self._session

    async def deliver(self, item: Notification | dict) -> DeliveryResult:
        """Deliver `item` until success, a final status, or the last attempt."""
        n = item if isinstance(item, Notification) else Notification.single(item)
        dest, wid = self.destination, n.webhook_id
        if self.disabled:
            return self._dead(n, 0, _Attempt(error="destination disabled after HTTP 410"))
        try:
            body = render(dest, n)
        except ValueError as exc:  # e.g. a group sent to PagerDuty: retrying cannot help
            return self._dead(n, 0, _Attempt(error=f"cannot render: {exc}"))
        attempts = dest.retry.attempts
        for i in range(1, attempts + 1):
            if self._already_delivered(wid):
                return DeliveryResult(dest.name, wid, True, i - 1, skipped=True)
            att = await self._attempt(n, body)
            self._record(n, i, att)
            if att.ok:
                return DeliveryResult(dest.name, wid, True, i, att.status, att.latency_ms)
            if att.final or i == attempts:
                return self._dead(n, i, att)
            await self._sleep(dest.retry.delay(i - 1, att.retry_after, self._rng))
        raise AssertionError("unreachable")

    def _already_delivered(self, wid: str) -> bool:
        try:
            return bool(self.log.succeeded(wid, self.destination.name))
        except Exception as exc:  # a broken log must not stop delivery
            log.warning("delivery log lookup failed: %s", type(exc).__name__)
            return False

    def _headers(self, n: Notification, body: bytes) -> dict[str, str]:
        ts = int(self._clock())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": n.webhook_id,
            "webhook-timestamp": str(ts),
        }
        if self.destination.secrets:
            headers.update(signature_headers(n.webhook_id, ts, body, self.destination.secrets))
        return headers

    async def _attempt(self, n: Notification, body: bytes) -> _Attempt:
        dest, t0 = self.destination, time.monotonic()
        att = _Attempt()
        try:
            url = dest.url_value()
            check_url(url, dest.policy)
            async with self._http().post(
                url, data=body, headers=self._headers(n, body), allow_redirects=False
            ) as resp:
                await resp.content.read(_MAX_RESPONSE_BYTES)
                att.status = resp.status
                att.retry_after = parse_retry_after(resp.headers.get("Retry-After"), self._clock())
        except UnsafeDestinationError as exc:
            att.error, att.final = f"unsafe destination (rule {exc.rule})", True
        except TimeoutError:
            att.error = f"timeout after {dest.timeout_s:g}s"
        except (aiohttp.ClientError, OSError) as exc:
            att.error = self._scrub(f"{type(exc).__name__}: {exc}")
        att.latency_ms = round((time.monotonic() - t0) * 1000.0, 3)
        self._classify(att)
        return att

    def _classify(self, att: _Attempt) -> None:
        if att.status == 0 or att.ok:
            return
        att.error = att.error or f"HTTP {att.status}"
        if 300 <= att.status < 400:
            att.error = f"HTTP {att.status} (redirects are not followed)"
        if att.status == 410:
            self.disabled = True
            att.error = "HTTP 410: destination disabled until restart"
        att.final = not retryable(att.status)

    def _scrub(self, text: str) -> str:
        """Remove the URL, its path and query, and every secret from `text`."""
        dest = self.destination
        url = dest.url_value()
        parts = urlsplit(url)
        hidden = [
            url,
            parts.path + ("?" + parts.query if parts.query else ""),
            parts.query,
            dest.routing_key_value(),
            *(str(_reveal(s)) for s in dest.secrets),
        ]
        for value in sorted((h for h in hidden if len(h) > 1), key=len, reverse=True):
            text = text.replace(value, "***")
        return text[:300]

    def _record(self, n: Notification, attempt: int, att: _Attempt) -> None:
        row = {
            "destination": self.destination.name,
            "webhook_id": n.webhook_id,
            "kind": n.kind,
            "entity": n.entity,
            "attempt": attempt,
            "status": att.status,
            "ok": att.ok,
            "latency_ms": att.latency_ms,
            "error": att.error,
            "ts": self._clock(),
            "refs": n.refs,
        }
        if not att.ok:
            log.info(
                "webhook %s to %s attempt %d failed: %s",
                n.webhook_id,
                self.destination.name,
                attempt,
                att.error,
            )
        try:
            self.log.record(row)
        except Exception as exc:  # a broken log must not stop delivery
            log.warning("delivery log write failed: %s", type(exc).__name__)

    def _dead(self, n: Notification, attempts: int, att: _Attempt) -> DeliveryResult:
        dest = self.destination
        entry = {
            "destination": dest.name,
            "webhook_id": n.webhook_id,
            "kind": n.kind,
            "entity": n.entity,
            "attempts": attempts,
            "status": att.status,
            "error": att.error,
            "ts": self._clock(),
            "refs": n.refs,
            "records": list(n.records),
        }
        log.error(
            "webhook %s to %s dead-lettered after %d attempts: %s",
            n.webhook_id,
            dest.name,
            attempts,
            att.error,
        )
        if self.on_dead_letter is not None:
            try:
                self.on_dead_letter(entry)
            except Exception as exc:
                log.warning("dead-letter callback failed: %s", type(exc).__name__)
        return DeliveryResult(
            dest.name,
            n.webhook_id,
            False,
            attempts,
            att.status,
            att.latency_ms,
            att.error,
            dead_lettered=True,
        )
