"""The SDK with its broker down: the host is never blocked and nothing raises.

The bootstrap points at a loopback port that nobody listens on, so every connection attempt is
refused; events stay queued (up to max_queue) and are counted as dropped at close.
"""

from __future__ import annotations

import gc
import socket
import time

import pytest
from tripwire_sdk import Emitter

pytestmark = pytest.mark.integration

CALLS = 100_000


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(int(len(sorted_ns) * q), len(sorted_ns) - 1)] / 1000.0


@pytest.mark.timeout(120)
def test_emitter_never_blocks_without_a_broker():
    em = Emitter(f"127.0.0.1:{closed_port()}", "no-broker-test", flush_at_exit=False)
    features = {f"f{i}": (i * 0.5 if i % 4 else f"c{i % 3}") for i in range(20)}
    clock = time.perf_counter_ns
    durations = [0] * CALLS
    gc.collect()
    for i in range(CALLS):
        start = clock()
        em.prediction("churn", features, i % 2, score=0.5, model_version="v1")
        durations[i] = clock() - start
    durations.sort()
    p50, p99, p999 = (percentile(durations, q) for q in (0.5, 0.99, 0.999))
    worst_ms = durations[-1] / 1e6
    print(f"\nno broker, {CALLS} x prediction(20 features): p50 {p50:.1f} us, p99 {p99:.1f} us, "
          f"p99.9 {p999:.1f} us, max {worst_ms:.2f} ms")
    assert em.stats["sent"] == 0 and em.stats["emitted"] == CALLS
    assert p99 < 200
    assert worst_ms < 50

    start = time.monotonic()
    em.close(timeout=2)
    took = time.monotonic() - start
    stats = em.stats
    print(f"close(timeout=2) took {took:.2f} s; stats {stats}")
    assert took < 3.5
    assert stats["emitted"] == stats["sent"] + stats["dropped"] == CALLS
    assert stats["sent"] == 0 and stats["queued"] == 0 and stats["invalid"] == 0
    assert em.prediction("churn", features, 1) == ""  # closed: counted, not raised
    assert em.dropped == CALLS + 1


EXIT_SCRIPT = """
import sys
from tripwire_sdk import Emitter
em = Emitter(sys.argv[1], "exit-test")
for i in range(10_000):
    em.prediction("m", {"a": i}, 1)
print(em.stats["queued"])
"""  # no close(): the atexit hook must not hold the process while the broker is down


@pytest.mark.timeout(60)
def test_process_exits_promptly_without_a_broker():
    import subprocess
    import sys

    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, f"127.0.0.1:{closed_port()}"],
                          capture_output=True, text=True, timeout=30)
    took = time.monotonic() - start
    print(f"\nprocess with 10,000 unsendable events exited in {took:.2f} s")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "10000"
    assert "close dropped 10000 events" in done.stderr
    assert took < 10
