"""Counts of safety findings in one window of LLM events (per app and prompt version)."""

from __future__ import annotations

from typing import Any

from detectors.safety._types import INJECTION_RATE, PII_RATE, REFUSAL_RATE, SECRET_RATE

__all__ = ["SafetyCounts"]


class SafetyCounts:
    """How many events of a window had PII, a secret, a refusal, an injection marker.

    State is five integers, whatever the traffic (``to_state`` / ``from_state``).

    >>> c = SafetyCounts()
    >>> c.add(pii=True, secret=False, refusal=False, injection=False)
    >>> c.add(pii=False, secret=False, refusal=True, injection=False)
    >>> c.rates()["safety.pii_rate"], c.rates()["refusal.rate"]
    (0.5, 0.5)
    """

    STATE_VERSION = 1

    def __init__(self) -> None:
        self.n = self.pii = self.secret = self.refusal = self.injection = 0

    def add(self, *, pii: bool, secret: bool, refusal: bool, injection: bool) -> None:
        self.n += 1
        self.pii += bool(pii)
        self.secret += bool(secret)
        self.refusal += bool(refusal)
        self.injection += bool(injection)

    def rates(self) -> dict[str, float]:
        """The four window signals; empty before the first event."""
        if not self.n:
            return {}
        return {PII_RATE: self.pii / self.n, SECRET_RATE: self.secret / self.n,
                REFUSAL_RATE: self.refusal / self.n, INJECTION_RATE: self.injection / self.n}

    def to_state(self) -> dict[str, Any]:
        return {"version": self.STATE_VERSION, "n": self.n, "pii": self.pii,
                "secret": self.secret, "refusal": self.refusal, "injection": self.injection}

    @classmethod
    def from_state(cls, state: dict[str, Any], **ctor_args: Any) -> SafetyCounts:
        if state.get("version") != cls.STATE_VERSION:
            raise ValueError(f"SafetyCounts state version {state.get('version')!r} is not "
                             f"{cls.STATE_VERSION}: start a fresh window")
        counts = cls(**ctor_args)
        for key in ("n", "pii", "secret", "refusal", "injection"):
            setattr(counts, key, int(state[key]))
        return counts
