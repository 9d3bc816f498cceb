"""Exceptions raised by webhook delivery.

Every class subclasses a builtin so callers can catch what they expect::

    ValueError
     ├── WebhookConfigError       bad `webhooks:` config (names the key and the fix)
     ├── UnsafeDestinationError   URL or resolved address refused by the SSRF guard
     └── SignatureError           webhook signature or timestamp rejected by `verify`

Messages never carry secrets, URL paths or query strings.
"""

from __future__ import annotations

__all__ = ["SignatureError", "UnsafeDestinationError", "WebhookConfigError"]


class WebhookConfigError(ValueError):
    """The `webhooks:` configuration is invalid; the message names the key and the fix."""


class UnsafeDestinationError(ValueError):
    """A destination URL (or the address it resolves to) is refused by the SSRF guard.

    `rule` names the rule that matched (e.g. ``"loopback"``, ``"scheme"``), for logs.
    """

    def __init__(self, message: str, rule: str = "") -> None:
        super().__init__(message)
        self.rule = rule


class SignatureError(ValueError):
    """A webhook failed verification (bad signature, stale timestamp, missing header)."""
