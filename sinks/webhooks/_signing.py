"""Standard Webhooks v1 signing and verification (HMAC-SHA256).

The signed content is ``f"{webhook_id}.{timestamp}.{body}"``; the header carries
``v1,<base64 signature>`` and may list several space-separated signatures so that a
secret can be rotated without downtime.

>>> secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
>>> headers = signature_headers("msg_1", 1700000000, b'{"a":1}', [secret])
>>> verify(headers, b'{"a":1}', secret, now=1700000010)
True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
import time
from collections.abc import Iterable, Mapping, Sequence

from ._errors import SignatureError, WebhookConfigError

__all__ = ["Secret", "generate_secret", "parse_secret", "sign", "signature_headers", "verify"]

MIN_SECRET_BYTES = 24
_PREFIX = "whsec_"


class Secret:
    """A secret string that never shows itself in ``repr``/``str`` (use `reveal`)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value; only for building requests, never for logs."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))


def generate_secret(nbytes: int = 32) -> str:
    """Return a fresh ``whsec_<base64>`` secret of `nbytes` random bytes."""
    return _PREFIX + base64.b64encode(_random.token_bytes(nbytes)).decode()


def parse_secret(secret: str | Secret) -> bytes:
    """Return the HMAC key of a ``whsec_<base64>`` secret, or of a raw secret (UTF-8)."""
    value = secret.reveal() if isinstance(secret, Secret) else secret
    if not isinstance(value, str) or not value:
        raise WebhookConfigError("webhook secret is empty; generate one with generate_secret()")
    if not value.startswith(_PREFIX):
        return value.encode()
    try:
        return base64.b64decode(value[len(_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise WebhookConfigError(
            "webhook secret starts with 'whsec_' but the rest is not base64"
        ) from None


def sign(webhook_id: str, timestamp: int, body: bytes, secret: str | Secret) -> str:
    """Return ``v1,<base64(HMAC-SHA256(key, f"{id}.{ts}.{body}"))>``."""
    key = parse_secret(secret)
    content = f"{webhook_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    webhook_id: str, timestamp: int, body: bytes, secrets: Sequence[str | Secret]
) -> dict[str, str]:
    """Return the three Standard Webhooks headers, one signature per active secret."""
    sigs = " ".join(sign(webhook_id, timestamp, body, s) for s in secrets)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": sigs,
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise SignatureError(f"missing header {name!r}")


def _timestamp(raw: str, tolerance_s: float, now: float | None) -> int:
    try:
        ts = int(raw)
    except ValueError:
        raise SignatureError("webhook-timestamp is not an integer") from None
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance_s:
        raise SignatureError("webhook-timestamp outside the tolerance (stale or in the future)")
    return ts


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret: str | Secret | Iterable[str | Secret],
    tolerance_s: float = 300,
    now: float | None = None,
) -> bool:
    """Return True if one `v1` signature matches one of the secrets; raise SignatureError.

    Checks, in order: the three headers are present, the timestamp is within
    `tolerance_s` of `now` (both directions), and a signature matches in constant time.
    """
    msg_id = _header(headers, "webhook-id")
    ts = _timestamp(_header(headers, "webhook-timestamp"), tolerance_s, now)
    offered = [
        s.partition(",")[2]
        for s in _header(headers, "webhook-signature").split()
        if s.startswith("v1,")
    ]
    keys = [secret] if isinstance(secret, (str, Secret)) else list(secret)
    for key in keys:
        expected = sign(msg_id, ts, body, key).partition(",")[2]
        for candidate in offered:
            if hmac.compare_digest(expected.encode(), candidate.encode()):
                return True
    raise SignatureError("no matching webhook signature")
