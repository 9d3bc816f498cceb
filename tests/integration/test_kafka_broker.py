"""The Apache Kafka test broker itself (tests/_kafka.py): it cannot outlive the process that
started it, and without java the Kafka variant of the tests says why it skips."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._kafka import kafka_unavailable
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

STARTER = """
import sys
from pathlib import Path
from tests._kafka import KafkaBroker
broker = KafkaBroker(Path(sys.argv[1])).start()
print(broker.process.pid, broker.bootstrap, flush=True)
sys.stdin.read()  # until killed
"""


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a killed child nobody reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
@pytest.mark.timeout(180)
def test_broker_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    if reason := kafka_unavailable():
        pytest.skip(reason)
    starter = subprocess.Popen([sys.executable, "-c", STARTER, str(tmp_path)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = starter.stdout.readline()  # type: ignore[union-attr]
        assert line, f"starter exited with {starter.wait(10)}"
        jvm = int(line.split()[0])
        assert _running(jvm)
        starter.send_signal(signal.SIGKILL)  # no finalizer, no atexit: only the kernel acts
        starter.wait(10)
        deadline = time.monotonic() + 10
        while _running(jvm) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(jvm), f"the Kafka JVM {jvm} outlived its parent"
    finally:
        starter.kill()
        starter.wait(10)


def test_without_java_the_kafka_variant_says_why(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no java
    kafka_unavailable.cache_clear()
    try:
        reason = kafka_unavailable()
    finally:
        kafka_unavailable.cache_clear()
    assert reason is not None and "java not found" in reason and "make kafka-deps" in reason
    assert os.environ["PATH"] == str(tmp_path)
