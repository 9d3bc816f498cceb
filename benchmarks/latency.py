"""``tripwire bench latency``: how long an event takes to be queryable, and a closed window to
become an alert, at half the capacity measured in the same run.

One stack (embedded broker, one worker, no UI). One model with 20 numeric features whose inputs
shift by 3 reference standard deviations on every other window of 500 predictions, under a rule
that fires after one bad window and resolves after one good one (cooldown 0), so every window
close is an alert state change.

1. Capacity: a backlog of ``backlog`` predictions is sent at once; events/s from the first send
   until the read API counts them all.
2. At half that rate, predictions are sent paced (every 10 ms) for ``seconds``:
   * ``event_to_stored``: for every sent event, the time from its send call to the moment the
     read API's count covers it (one model = one partition, stored in order; the count is polled
     every 100 ms, so figures carry up to 100 ms of polling);
   * ``window_close_to_alert``: for every alert state change read from ``tripwire.alerts``, the
     time from sending the event that completed its window (its ``window_end``) to its arrival.
"""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_left
from typing import Any

import orjson
from tripwire_sdk import names

from benchmarks.pipeline import _pct_ms, _Run

__all__ = ["bench_latency"]

WINDOW = 500
POLL_S = 0.1  # read-API polls (each counts four tables); figures carry up to this much
FEATURES = 20
CONFIG = {"monitoring": {
    "window_events": WINDOW, "reference_events": 2000,
    "rules": [{"metric": "drift.*", "threshold": None, "for_windows": 1, "resolve_windows": 1,
               "cooldown_s": 0}]}}


class _Stream:
    """Predictions with unique event times; inputs shift on every other window."""

    def __init__(self, t0: float, rate: float) -> None:
        self.rng = random.Random(5)
        self.i, self.t0, self.rate = 0, t0, rate

    def next_batch(self, n: int) -> list[tuple[dict[str, Any], float]]:
        out = []
        for _ in range(n):
            i = self.i
            shifted = i >= 2000 and ((i - 2000) // WINDOW) % 2 == 1
            feats = {f"f{j:02d}": round(self.rng.gauss(3.0 if shifted else 0.0, 1.0), 4)
                     for j in range(FEATURES)}
            out.append((feats, self.t0 + i / self.rate))
            self.i += 1
        return out


def _alerts_listener(bootstrap: str, arrivals: list[tuple[float, float]],
                     stop: threading.Event) -> None:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(names.ALERTS, bootstrap_servers=bootstrap,
                             auto_offset_reset="latest", consumer_timeout_ms=200,
                             fetch_max_wait_ms=5)
    while not stop.is_set():
        for message in consumer:
            arrivals.append((time.monotonic(), orjson.loads(message.value)["window_end"]))
    consumer.close()


def bench_latency(backlog: int = 40_000, seconds: float = 20.0,
                  timeout: float = 300.0) -> dict[str, Any]:
    """See the module docstring."""
    from tripwire_sdk import Emitter

    with _Run(config=CONFIG) as run:
        stats = run.stats
        emitter = Emitter(bootstrap=run.settings.bootstrap, service="bench",
                          max_queue=backlog + 10, flush_at_exit=False)
        stream = _Stream(time.time(), 10_000.0)

        def emit(feats: dict[str, Any], ts: float) -> None:
            emitter.prediction("latency-model", feats, 0, score=0.5, model_version="v1", ts=ts)

        for feats, ts in stream.next_batch(2000):  # the reference; the group has joined
            emit(feats, ts)
        emitter.flush(60)
        run.wait_stored("predictions", 2000, timeout)
        started = time.monotonic()
        for feats, ts in stream.next_batch(backlog):
            emit(feats, ts)
        emitter.flush(120)
        capacity = backlog / (run.wait_stored("predictions", backlog + 2000, timeout) - started)
        backlog += 2000
        rate = capacity / 2

        arrivals: list[tuple[float, float]] = []
        stop = threading.Event()
        listener = threading.Thread(target=_alerts_listener,
                                    args=(run.settings.bootstrap, arrivals, stop), daemon=True)
        listener.start()
        time.sleep(1.0)  # the listener has joined the topic's end
        sent: list[tuple[float, int]] = []  # (send time, events sent so far)
        sent_ts: dict[float, float] = {}  # event time -> send time
        counts: list[tuple[float, int]] = []  # (poll time, stored count)
        polling = threading.Event()

        def poll() -> None:
            while not polling.is_set():
                try:
                    counts.append((time.monotonic(), stats()["predictions"]))
                except OSError:
                    pass
                time.sleep(POLL_S)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        total, begin = backlog, time.monotonic()
        while time.monotonic() - begin < seconds:
            tick = time.monotonic()
            due = int((tick - begin) * rate) - (total - backlog)
            for feats, ts in stream.next_batch(max(due, 0)):
                emit(feats, ts)
                total += 1
                sent_ts[ts] = time.monotonic()
            sent.append((time.monotonic(), total))
            time.sleep(max(0.0, 0.01 - (time.monotonic() - tick)))
        emitter.flush(60)
        run.wait_stored("predictions", total, timeout)
        time.sleep(1.0)
        polling.set()
        stop.set()
        poller.join(5)
        listener.join(5)
        emitter.close()
    stored = _stored_latencies(sent, counts)
    alert = [arrived - sent_ts[end] for arrived, end in arrivals if end in sent_ts]
    return {"rate_events_per_s": round(rate), "capacity_events_per_s": round(capacity),
            "event_to_stored_p50_ms": _pct_ms(stored, 0.50),
            "event_to_stored_p99_ms": _pct_ms(stored, 0.99),
            "window_close_to_alert_p50_ms": _pct_ms(alert, 0.50),
            "window_close_to_alert_p99_ms": _pct_ms(alert, 0.99),
            "alerts_measured": len(alert), "window_events": WINDOW,
            "poll_interval_ms": round(POLL_S * 1000)}


def _stored_latencies(sent: list[tuple[float, int]],
                      counts: list[tuple[float, int]]) -> list[float]:
    """For each send step, seconds until a polled count covered it."""
    stored_counts = [c for _, c in counts]
    times = [t for t, _ in counts]
    out = []
    for when, total in sent:
        k = bisect_left(times, when)
        while k < len(counts) and stored_counts[k] < total:
            k += 1
        if k < len(counts):
            out.append(times[k] - when)
    return out

