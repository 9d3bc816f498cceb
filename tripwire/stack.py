"""``tripwire up``: broker (embedded unless configured) + worker + UI as child processes, and
the webhook delivery worker when ``webhooks.destinations`` are configured.

Prints where each part is, waits for readiness, and on Ctrl-C (or when a child dies) stops
everything in reverse order. Logs of the children go to ``<data_dir>/logs/``.
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

from tripwire.embedded import EmbeddedBroker, ensure_topics, port_open
from tripwire.errors import StackError
from tripwire.settings import Settings

__all__ = ["Stack", "ui_command", "ui_env", "api_get", "stop_on_signals"]


def stop_on_signals() -> None:
    """Treat SIGTERM and SIGHUP like Ctrl-C, so the children are stopped, never orphaned."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def api_get(settings: Settings, path: str, timeout: float = 5.0) -> object:
    """GET ``/api/v1/<path>`` from the worker's read API and decode the JSON."""
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
                 echo: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.with_ui = with_ui
        self.echo = echo
        self.broker: EmbeddedBroker | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.log_dir = settings.data_dir / "logs"

    def start(self, timeout: float = 90.0) -> None:
        """Start every part and wait until the worker's API answers."""
        s = self.settings
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if s.embedded_broker:
            self.broker = EmbeddedBroker(s.embedded_kafka_port, self.log_dir / "broker.log")
            self.broker.start()
            self.echo(f"broker   embedded Tansu on {s.bootstrap} (memory storage)")
        else:
            self.echo(f"broker   {s.bootstrap} (external)")
        created = ensure_topics(s.bootstrap, s.partitions)
        if created:
            self.echo(f"topics   created {', '.join(created)}")
        for port, what, key in ((s.api_port, "read API", "TRIPWIRE_API_PORT"),
                                (s.ui_port, "UI", "TRIPWIRE_UI_PORT")):
            if (key == "TRIPWIRE_API_PORT" or self.with_ui) and port_open("127.0.0.1", port):
                raise StackError(f"port {port} ({what}) is already in use. Fix: stop the other "
                                 f"process or set {key} to a free port.")
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
                                               start_new_session=True)

    def _wait_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                if api_get(self.settings, "health", timeout=2).get("store"):  # type: ignore[union-attr]
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
        """Stop children (SIGTERM, then SIGKILL) in reverse order, then the broker."""
        for name, proc in reversed(list(self.children.items())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
            self.echo(f"stopped  {name}")
        self.children.clear()
        if self.broker:
            self.broker.stop()
            self.broker = None
            self.echo("stopped  broker")
