"""Apache Kafka for the tests: a single-node KRaft broker on loopback, from the jars that
``make kafka-deps`` copied into ``build/kafka-libs`` (resolved by ``tests/kafka/pom.xml``).

:class:`KafkaBroker` formats a fresh log dir with a random cluster id, starts
``kafka.Kafka server.properties`` (broker and controller in one JVM, each on a free port),
waits until the broker answers metadata, and stops it by pid (SIGTERM, then SIGKILL after a
bound). The JVM gets a parent-death signal, so it cannot outlive the test process.
:func:`kafka_unavailable` says why the broker cannot run here (no java, no jars), or None.
"""

from __future__ import annotations

import base64
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from functools import cache
from pathlib import Path

from tripwire.lifecycle import terminate

__all__ = ["KAFKA_VERSION", "KAFKA_LIBS", "KafkaBroker", "kafka_unavailable"]

ROOT = Path(__file__).resolve().parent.parent
KAFKA_VERSION = "4.4.0"  # the one in tests/kafka/pom.xml
KAFKA_LIBS = ROOT / "build" / "kafka-libs"  # KAFKA_LIBS in the Makefile
_STAMP = KAFKA_LIBS / ".complete"  # written by `make kafka-deps` after a full copy
_UNAVAILABLE = KAFKA_LIBS.parent / "kafka-libs.unavailable"  # why `make kafka-deps` gave up
_JVM = ("-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info")
_SERVER = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={log_dir}
num.partitions={partitions}
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
"""


@cache
def kafka_unavailable() -> str | None:
    """Why Apache Kafka cannot start here (a sentence naming the fix), or None if it can."""
    java = shutil.which("java")
    if java is None:
        return ("java not found on PATH: install OpenJDK 17+ and Maven, then "
                "`make kafka-deps`")
    if not _STAMP.exists():
        reason = _UNAVAILABLE.read_text().strip() if _UNAVAILABLE.exists() else ""
        return (f"Apache Kafka jars not in {KAFKA_LIBS.relative_to(ROOT)}"
                f"{f' ({reason})' if reason else ''}: run `make kafka-deps`")
    version = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    found = re.search(r'version "(\d+)', version.stderr)
    if not found or int(found.group(1)) < 17:
        return f"Apache Kafka {KAFKA_VERSION} needs Java 17+, found: {version.stderr[:80]!r}"
    return None


def _die_with_parent(parent: int) -> None:
    """``preexec_fn``: the child gets SIGKILL when the process that started it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _cluster_id() -> str:
    """A random Kafka cluster id (a UUID in URL-safe base64, not starting with '-')."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _free_ports(n: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


class KafkaBroker:
    """One Apache Kafka KRaft node (broker + controller) in ``workdir``; a context manager."""

    def __init__(self, workdir: Path, partitions: int = 4) -> None:
        self.workdir = workdir
        self.partitions = partitions
        self.port, self.controller_port = _free_ports(2)
        self.log_path = workdir / "kafka.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds: float | None = None  # from format to answering metadata

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> KafkaBroker:
        """Format a fresh log dir, start the JVM, wait until the broker answers metadata."""
        reason = kafka_unavailable()
        if reason:
            raise RuntimeError(reason)
        started = time.monotonic()
        config = self._write_config()
        self._run_java(["kafka.tools.StorageTool", "format", "-t", _cluster_id(),
                        "-c", str(config)], timeout)
        self.process = self._spawn_java(["kafka.Kafka", str(config)])
        try:
            self._wait_ready(started + timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; waits until the JVM is gone."""
        proc, self.process = self.process, None
        terminate(proc, timeout)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"

    def _write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log_dir = self.workdir / "kafka-logs"
        shutil.rmtree(log_dir, ignore_errors=True)
        config = self.workdir / "server.properties"
        config.write_text(_SERVER.format(port=self.port, controller_port=self.controller_port,
                                         log_dir=log_dir, partitions=self.partitions))
        return config

    def _command(self, args: list[str]) -> list[str]:
        return ["java", *_JVM, "-cp", f"{KAFKA_LIBS}{os.sep}*", *args]

    def _spawn_java(self, args: list[str]) -> subprocess.Popen[bytes]:
        parent = os.getpid()
        linux = sys.platform.startswith("linux")  # prctl is Linux-only
        with open(self.log_path, "ab") as log:
            return subprocess.Popen(self._command(args), cwd=self.workdir, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True,
                                    preexec_fn=(lambda: _die_with_parent(parent)) if linux
                                    else None)

    def _run_java(self, args: list[str], timeout: float) -> None:
        proc = self._spawn_java(args)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{args[0]} took over {timeout}s: {self.log_tail()}") from None
        if code:
            raise RuntimeError(f"{args[0]} exited with {code}: {self.log_tail()}")

    def _wait_ready(self, deadline: float) -> None:
        """Until the broker lists itself in a metadata answer (it is unfenced by then)."""
        import warnings

        from tripwire.embedded import port_open

        with warnings.catch_warnings():  # kafka-python 3.0 warns about importlib.resources
            warnings.simplefilter("ignore", DeprecationWarning)
            from kafka.admin import KafkaAdminClient
        last: object = "port not open"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"Kafka exited with {self.process.returncode}: "
                                   f"{self.log_tail()}")
            if port_open("127.0.0.1", self.port):
                try:
                    admin = KafkaAdminClient(bootstrap_servers=self.bootstrap,
                                             request_timeout_ms=5000)
                    try:
                        if admin.describe_cluster().get("brokers"):
                            return
                    finally:
                        admin.close()
                except Exception as exc:  # not answering yet
                    last = exc
            time.sleep(0.1)
        raise RuntimeError(f"Kafka not ready on {self.bootstrap} ({last}): {self.log_tail()}")

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
