"""Shared fixtures: free ports, the real embedded broker, a real worker process.

Everything binds to 127.0.0.1 and is stopped by the fixture's finalizer.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The one chDB data path of this test process (chDB opens one path per process);
    tests isolate themselves with ``ClickHouseStore(chdb_path, database=...)``."""
    return f"chdb://{tmp_path_factory.mktemp('chdb')}"


@pytest.fixture
def broker() -> Iterator[str]:
    """A fresh real Tansu broker on loopback (it starts in ~50 ms); yields its address."""
    from tripwire.embedded import EmbeddedBroker, ensure_topics

    b = EmbeddedBroker(free_port())
    b.start()
    ensure_topics(b.bootstrap, 4)
    try:
        yield b.bootstrap
    finally:
        b.stop()


def get_json(url: str, timeout: float = 5.0) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class WorkerProcess:
    """``python -m tripwire worker`` as a child process with its own data dir and port."""

    def __init__(self, bootstrap: str, data_dir: Path, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.data_dir = data_dir
        self.env = dict(os.environ, TRIPWIRE_KAFKA_BOOTSTRAP=bootstrap,
                        TRIPWIRE_DATA_DIR=str(data_dir), TRIPWIRE_API_PORT=str(self.port),
                        TRIPWIRE_PARTITIONS="4", TRIPWIRE_LOG_LEVEL="INFO",
                        **(extra_env or {}))
        self.env.pop("TRIPWIRE_CONFIG", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "worker.log"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self, timeout: float = 60.0) -> WorkerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "tripwire", "worker"], cwd=ROOT,
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_tail()}")
            try:
                if get_json(f"{self.api}/health", 1).get("store"):  # type: ignore[union-attr]
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready in {timeout}s: {self.log_tail()}")

    def stats(self) -> dict:
        return get_json(f"{self.api}/stats")  # type: ignore[return-value]

    def state(self) -> dict:
        """``/api/v1/state``: owned partitions, entities, checkpoints, restores."""
        return get_json(f"{self.api}/state")  # type: ignore[return-value]

    def wait_for(self, predicate, timeout: float = 60.0, every: float = 0.5) -> dict:
        """Poll /stats until ``predicate(stats)`` holds; return the last stats."""
        deadline = time.monotonic() + timeout
        stats: dict = {}
        while time.monotonic() < deadline:
            try:
                stats = self.stats()
                if predicate(stats):
                    return stats
            except OSError:
                pass
            time.sleep(every)
        raise AssertionError(f"condition not met in {timeout}s, last stats {stats}; "
                             f"log: {self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(20)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"


@pytest.fixture
def worker_factory(broker: str, tmp_path: Path) -> Iterator:
    """Start workers against the test's broker; all are stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def make(data_dir: Path | None = None, **env: str) -> WorkerProcess:
        w = WorkerProcess(broker, data_dir or tmp_path / "data", env)
        started.append(w)
        return w.start()

    yield make
    for w in started:
        w.stop()
