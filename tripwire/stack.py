"""``tripwire up``: broker (embedded unless configured) + worker + UI as child processes, and
the webhook delivery worker when ``webhooks.destinations`` are configured.

Prints where each part is (also to ``<data_dir>/logs/up.log``: a closed stdout does not stop
it), waits for readiness, and on Ctrl-C, SIGTERM or SIGHUP (or when a child dies) stops
everything within ``STOP_BUDGET_S``: UI and delivery first, then the worker once it has
drained what the embedded broker still holds (bounded), the broker last. Children run in their
own sessions and get SIGTERM from the kernel if the launcher dies however it dies. Logs of the
children go to ``<data_dir>/logs/``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tripwire.embedded import EmbeddedBroker, ensure_topics, port_open
from tripwire.errors import StackError
from tripwire.lifecycle import DirLock, Echo, child_preexec, describe_pid, port_owner
from tripwire.settings import Settings

__all__ = ["STOP_BUDGET_S", "Stack", "ui_command", "ui_env", "api_get", "stop_on_signals"]

STOP_BUDGET_S = 9.5  # Ctrl-C to everything stopped
DRAIN_S = 3.0  # at most this long for the worker to take what the embedded broker holds


def stop_on_signals() -> None:
    """Treat SIGTERM and SIGHUP like Ctrl-C, so the children are stopped, never orphaned."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def api_get(settings: Settings, path: str, timeout: float = 5.0) -> Any:
    """GET ``/api/v1/<path>`` from the worker's read API and decode the JSON (an object or
    a list, as the path answers)."""
    request = urllib.request.Request(f"{settings.api_base}/api/v1/{path}")
    if settings.api_token:
        request.add_header("Authorization", f"Bearer {settings.api_token.get_secret_value()}")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def ui_env(settings: Settings) -> dict[str, str]:
    """Environment the UI process needs: where the API is, its token, whether to ask for it."""
    env = {"TRIPWIRE_API_URL": settings.api_base,
           "TRIPWIRE_UI_PUBLIC": "0" if settings.api_is_loopback else "1"}
    if settings.api_token:
        env["TRIPWIRE_API_TOKEN"] = settings.api_token.get_secret_value()
    return env


def ui_command(settings: Settings) -> list[str]:
    """The streamlit command line that serves the UI for ``settings``."""
    app = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.address", settings.api_host if not settings.api_is_loopback else "127.0.0.1",
            "--server.port", str(settings.ui_port), "--server.fileWatcherType", "none",
            "--theme.base", "light", "--client.toolbarMode", "viewer"]


class Stack:
    """The running parts of ``tripwire up``."""

    def __init__(self, settings: Settings, with_ui: bool = True,
                 echo: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.with_ui = with_ui
        self.log_dir = settings.data_dir / "logs"
        self.echo = echo or Echo(self.log_dir / "up.log")
        self.broker: EmbeddedBroker | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, timeout: float = 90.0) -> None:
        """Start every part and wait until the worker's API answers."""
        s = self.settings
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._check_free()
        if s.embedded_broker:
            self.broker = EmbeddedBroker(s.embedded_kafka_port, self.log_dir / "broker.log")
            self.broker.start()
            self.echo(f"broker   embedded Tansu on {s.bootstrap} (memory storage)")
        else:
            self.echo(f"broker   {s.bootstrap} (external)")
        created = ensure_topics(s.bootstrap, s.partitions)
        if created:
            self.echo(f"topics   created {', '.join(created)}")
        self._spawn("worker", [sys.executable, "-m", "tripwire", "worker"])
        self._wait_api(timeout)
        store = s.masked()["clickhouse_dsn"] or s.dsn
        self.echo(f"worker   read API {s.api_base}/api/v1/stats   store {store}")
        destinations = (s.webhooks or {}).get("destinations") or {}
        if destinations:
            self._spawn("delivery", [sys.executable, "-m", "tripwire", "deliver"])
            self.echo(f"delivery webhooks to {', '.join(sorted(destinations))}")
        if self.with_ui:
            self._spawn("ui", ui_command(s))
            self.echo(f"ui       http://127.0.0.1:{s.ui_port}")
        self.echo(f"logs     {self.log_dir}/")

    def _check_free(self) -> None:
        """Fail before starting anything when a port or the store directory is taken,
        naming the process that holds it and the fix."""
        s = self.settings
        for port, what, key in ((s.api_port, "read API", "TRIPWIRE_API_PORT"),
                                (s.ui_port, "UI", "TRIPWIRE_UI_PORT")):
            if (key == "TRIPWIRE_API_PORT" or self.with_ui) and port_open("127.0.0.1", port):
                owner = port_owner(port)
                who = f" by {describe_pid(owner)}" if owner else ""
                fix = f"stop it (kill {owner})" if owner else "stop the other process"
                raise StackError(f"port {port} ({what}) is already in use{who}. Fix: {fix} or "
                                 f"set {key} to a free port.")
        if s.dsn.startswith("chdb://"):
            lock = DirLock(Path(s.dsn[len("chdb://"):]))
            if lock.holder() is not None:
                raise StackError(lock.busy_message("the store directory", "TRIPWIRE_DATA_DIR"))

    def _spawn(self, name: str, cmd: list[str]) -> None:
        s = self.settings
        env = dict(os.environ, TRIPWIRE_KAFKA_BOOTSTRAP=s.bootstrap,
                   TRIPWIRE_DATA_DIR=str(s.data_dir), TRIPWIRE_API_PORT=str(s.api_port),
                   TRIPWIRE_API_HOST=s.api_host, TRIPWIRE_UI_PORT=str(s.ui_port),
                   TRIPWIRE_PARTITIONS=str(s.partitions), TRIPWIRE_LOG_LEVEL=s.log_level)
        if s.clickhouse_dsn:
            env["TRIPWIRE_CLICKHOUSE_DSN"] = s.clickhouse_dsn
        if name == "ui":
            env.update(ui_env(s))
        if s.api_token:
            env["TRIPWIRE_API_TOKEN"] = s.api_token.get_secret_value()
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (child owns it)
        self.children[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, env=env,
                                               start_new_session=True,
                                               preexec_fn=child_preexec)

    def _wait_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                if api_get(self.settings, "health", timeout=2).get("store"):
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise StackError(f"the worker's API did not become ready within {timeout:.0f}s; "
                         f"see {self.log_dir}/worker.log")

    def check_children(self) -> None:
        """Raise :class:`StackError` naming the first child that exited."""
        for name, proc in self.children.items():
            if proc.poll() is not None:
                raise StackError(f"the {name} exited with code {proc.returncode}; "
                                 f"see {self.log_dir}/{name}.log")

    def wait(self) -> None:
        """Block until Ctrl-C or a child dies."""
        while True:
            self.check_children()
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop everything within ``STOP_BUDGET_S``: UI and delivery, then the worker after
        draining the embedded broker (bounded), then the broker. Further signals are ignored
        meanwhile; the stop is bounded anyway."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        deadline = time.monotonic() + STOP_BUDGET_S
        others = [n for n in self.children if n != "worker"]
        for name in others:
            self._signal(name, signal.SIGTERM)
        if "worker" in self.children:
            if self.broker is not None:
                self._drain(min(deadline - 6.0, time.monotonic() + DRAIN_S))
            self._signal("worker", signal.SIGTERM)
            self._reap("worker", deadline - 1.0)
        for name in others:
            self._reap(name, deadline - 1.0)
        self.children.clear()
        if self.broker:
            self.broker.stop(timeout=max(0.2, min(1.0, deadline - time.monotonic())))
            self.broker = None
            self.echo("stopped  broker")

    def _signal(self, name: str, sig: int) -> None:
        proc = self.children[name]
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass

    def _reap(self, name: str, until: float) -> None:
        proc = self.children[name]
        try:
            proc.wait(max(0.1, until - time.monotonic()))
            self.echo(f"stopped  {name}")
        except subprocess.TimeoutExpired:
            self._signal(name, signal.SIGKILL)
            proc.wait(5)
            self.echo(f"stopped  {name} (killed: it did not stop in time)")

    def _drain(self, until: float) -> None:
        """Let the worker take what the embedded broker still holds (it keeps events in
        memory only): wait until the worker has handled every input partition up to its end,
        at most until ``until``. Tansu reports a partition's end as its last batch's base
        offset + 1, so "handled an offset >= end - 1" means drained on Tansu and on Kafka."""
        from kafka import KafkaConsumer, TopicPartition
        from tripwire_sdk import names

        try:
            consumer = KafkaConsumer(bootstrap_servers=self.settings.bootstrap,
                                     request_timeout_ms=2000)
            tps = [TopicPartition(t, p) for t in names.INPUT
                   for p in range(self.settings.partitions)]
            ends = {f"{tp.topic}/{tp.partition}": end
                    for tp, end in consumer.end_offsets(tps).items() if end > 0}
            consumer.close()
        except Exception as exc:  # the broker is gone or slow: nothing to wait for
            self.echo(f"drain    skipped: cannot read the broker's end offsets ({exc})")
            return
        while time.monotonic() < until:
            try:
                done = api_get(self.settings, "state", timeout=1.0)["positions"]
            except (OSError, KeyError, TypeError):
                return
            if all(done.get(key, -1) >= end - 1 for key, end in ends.items()):
                return
            time.sleep(0.1)
