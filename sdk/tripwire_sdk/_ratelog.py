"""Rate-limited warnings: at most one record per key and interval, carrying the count."""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger("tripwire_sdk")


class RateLimitedLog:
    """Counts occurrences per key and logs at most once per ``interval`` seconds per key.

    Messages never contain event contents; ``detail`` must be a field-level reason or an
    exception type name.
    """

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._state: dict[str, list[float]] = {}  # key -> [last log time, count since]

    def warn(self, key: str, message: str, n: int = 1, detail: str = "") -> None:
        """Count ``n`` occurrences; log ``message`` (with ``%(count)d`` and ``%(detail)s``)."""
        now = time.monotonic()
        with self._lock:
            state = self._state.get(key)
            if state is None:
                state = self._state[key] = [now - self.interval, 0]
            state[1] += n
            if now - state[0] < self.interval:
                return
            count, state[0], state[1] = int(state[1]), now, 0
        try:
            logger.warning(message, {"count": count, "detail": detail})
        except Exception:  # a broken handler must not reach the caller
            pass
