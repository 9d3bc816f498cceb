"""Shared fixtures: free ports, a real broker (Tansu and Apache Kafka), a real worker process.

Everything binds to 127.0.0.1 and is stopped by the fixture's finalizer.

Brokers: a test that uses ``broker`` (or ``worker_factory``, or ``broker_factory``) runs once
per kind in ``BROKER_KINDS``, ids ``[tansu]`` and ``[kafka]``; each run gets a fresh broker of
its own with Tripwire's topics (fixed topic names and Faust group "tripwire" would otherwise
leak offsets between tests). The Kafka run skips, saying why, without java or the jars from
``make kafka-deps`` (or fails, with REQUIRE_KAFKA_TESTS=1); it is marked ``kafka``
(``pytest -m "not kafka"`` leaves it out). To run a test on one kind only:
``@pytest.mark.parametrize("broker_kind", ["tansu"])``; for more partitions (topics and
workers): ``@pytest.mark.parametrize("broker_partitions", [8])``. A test that needs a second
broker calls ``broker_factory()`` (see there).
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest

from tests._kafka import KafkaBroker, kafka_unavailable

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session", autouse=True)
def _tiktoken_cache() -> None:
    """Seed tiktoken's offline cache once, as every tokenizing entry point does at start-up
    (``detectors.llm`` only calls tiktoken, it seeds nothing)."""
    from tripwire.tiktoken_cache import ensure_tiktoken_cache

    ensure_tiktoken_cache()


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The one chDB data path of this test process (chDB opens one path per process);
    tests isolate themselves with ``ClickHouseStore(chdb_path, database=...)``."""
    return f"chdb://{tmp_path_factory.mktemp('chdb')}"


BROKER_KINDS = ("tansu", "kafka")


class Broker(Protocol):
    """What ``broker_factory`` returns: a started broker (Tansu or Apache Kafka)."""

    @property
    def bootstrap(self) -> str: ...

    def stop(self) -> None: ...


def start_broker(kind: str, workdir: Path, partitions: int = 4) -> Broker:
    """Start a ``kind`` broker on loopback with Tripwire's topics (``partitions`` each).

    Tansu starts in ~50 ms; Apache Kafka in ~3.5 s on an idle 2-core machine (format ~1 s,
    JVM to metadata ~2.5 s), ~7 s when the cores are busy.
    """
    from tripwire.embedded import EmbeddedBroker, ensure_topics

    started: EmbeddedBroker | KafkaBroker
    if kind == "tansu":
        workdir.mkdir(parents=True, exist_ok=True)
        started = EmbeddedBroker(free_port(), log_path=workdir / "tansu.log").start()
    elif kind == "kafka":
        started = KafkaBroker(workdir, partitions=partitions).start()
    else:
        raise ValueError(f"unknown broker kind {kind!r}; use one of {BROKER_KINDS}")
    try:
        ensure_topics(started.bootstrap, partitions)
    except BaseException:
        started.stop()
        raise
    return started


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kafka: runs against Apache Kafka (a JVM broker)")
    # kafka-python 3.0 loads its protocol schemas with importlib.resources' legacy API.
    for legacy in ("read_text", "open_text"):
        config.addinivalue_line("filterwarnings",
                                f"ignore:{legacy} is deprecated:DeprecationWarning")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("broker_kind") == "kafka":
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(params=BROKER_KINDS)
def broker_kind(request: pytest.FixtureRequest) -> str:
    """The kind of broker this run of the test uses; Kafka skips when it cannot start here."""
    if request.param == "kafka" and (reason := kafka_unavailable()):
        if os.environ.get("REQUIRE_KAFKA_TESTS") == "1":
            pytest.fail(f"REQUIRE_KAFKA_TESTS=1 but {reason}")
        pytest.skip(reason)
    return str(request.param)


@pytest.fixture
def broker_partitions() -> int:
    """Partitions of every Tripwire topic on ``broker`` (and TRIPWIRE_PARTITIONS of workers)."""
    return 4


@pytest.fixture
def broker_factory(broker_kind: str, broker_partitions: int,
                   tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """``make(kind=broker_kind, partitions=broker_partitions)`` starts another fresh broker
    for this test; every broker it started is stopped (by pid) at the end of the test."""
    started: list[Broker] = []

    def make(kind: str | None = None, partitions: int | None = None) -> Broker:
        kind = kind or broker_kind
        b = start_broker(kind, tmp_path / f"{kind}-{len(started)}",
                         partitions or broker_partitions)
        started.append(b)
        return b

    yield make
    for b in reversed(started):
        b.stop()


@pytest.fixture
def broker(broker_factory: Callable[..., Broker]) -> str:
    """A fresh real broker of ``broker_kind`` with Tripwire's topics; yields its address."""
    return broker_factory().bootstrap


def get_json(url: str, timeout: float = 5.0) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class WorkerProcess:
    """``python -m tripwire worker`` as a child process with its own data dir and port."""

    def __init__(self, bootstrap: str, data_dir: Path, extra_env: dict[str, str] | None = None,
                 partitions: int = 4):
        self.port = free_port()
        self.data_dir = data_dir
        self.env = dict(os.environ, TRIPWIRE_KAFKA_BOOTSTRAP=bootstrap,
                        TRIPWIRE_DATA_DIR=str(data_dir), TRIPWIRE_API_PORT=str(self.port),
                        TRIPWIRE_PARTITIONS=str(partitions), TRIPWIRE_LOG_LEVEL="INFO",
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
def worker_factory(broker: str, broker_partitions: int, tmp_path: Path) -> Iterator:
    """Start workers against the test's broker; all are stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def make(data_dir: Path | None = None, **env: str) -> WorkerProcess:
        w = WorkerProcess(broker, data_dir or tmp_path / "data", env, broker_partitions)
        started.append(w)
        return w.start()

    make.started = started  # type: ignore[attr-defined]
    yield make
    for w in started:
        w.stop()
