"""Retry policy: schedule, full jitter, Retry-After and which statuses are retried.

>>> import random
>>> p = RetryPolicy(schedule_s=(1, 5), jitter=0.0)
>>> p.attempts, p.delay(0), p.delay(1), p.delay(1, retry_after=9.0)
(3, 1.0, 5.0, 9.0)
>>> retryable(503), retryable(429), retryable(408), retryable(404), retryable(302)
(True, True, True, False, False)
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["DEFAULT_SCHEDULE_S", "RetryPolicy", "parse_retry_after", "retryable"]

DEFAULT_SCHEDULE_S = (1.0, 5.0, 30.0, 120.0, 600.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Delays before attempts 2..N; ``attempts == 1 + len(schedule_s)``.

    `jitter` is the share of each delay that is randomised downwards: 1.0 is full jitter
    (uniform in [0, d]), 0.0 is the exact schedule, 0.2 gives [0.8 d, d]. A Retry-After
    from the receiver is a floor, capped at `max_retry_after_s`.
    """

    schedule_s: tuple[float, ...] = DEFAULT_SCHEDULE_S
    jitter: float = 1.0
    max_retry_after_s: float = 3600.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "schedule_s", tuple(float(s) for s in self.schedule_s))
        if any(s < 0 for s in self.schedule_s):
            raise ValueError("retry schedule_s values must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("retry jitter must be within 0..1")

    @property
    def attempts(self) -> int:
        """Total attempts including the first one."""
        return 1 + len(self.schedule_s)

    def delay(
        self, retry_index: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before retry number `retry_index` (0-based)."""
        base = self.schedule_s[min(retry_index, len(self.schedule_s) - 1)]
        draw = (rng or random).random() if self.jitter else 0.0
        wait = base * (1.0 - self.jitter * draw)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after_s))
        return wait


def retryable(status: int) -> bool:
    """5xx, 408 and 429 are retried; 2xx needs no retry; 3xx and other 4xx are final."""
    return status >= 500 or status in (408, 429)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))
