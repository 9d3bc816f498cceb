"""The whole product in a real browser: ``tripwire up`` fed through the SDK, then Chromium.

``tripwire up`` starts the embedded broker, the worker, the delivery worker (a webhook
destination on a loopback receiver is configured) and the UI. The demo scenario goes in
through ``tripwire_sdk.Emitter``: a churn model whose inputs drift and whose accuracy decays
half-way, and a support bot whose prompt v2 invents numbers and names, against a small daily
budget. Once the worker has stored it all, and the retrain and rollback triggers have been
delivered to the receiver, headless Chromium loads every page, checks what an on-call person
needs to see and leaves ``artifacts/screenshots/up_<page>.png``. Skipped, with the reason,
where Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from _chromium import CHROMIUM, Browser
from _support import free_port
from conftest import SCREENSHOTS

from tests.conftest import ROOT, get_json

pytestmark = pytest.mark.browser

if CHROMIUM is None:
    pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium)",
                allow_module_level=True)

N_PREDICTIONS, N_LLM = 20_000, 4_000


class _Receiver:
    """A loopback webhook receiver that accepts everything and keeps the bodies."""

    def __init__(self) -> None:
        bodies: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length") or 0)
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def records(self) -> list[dict[str, Any]]:
        return [r for body in list(self.bodies) for r in body.get("data", {}).get("records", [])]


def _wait(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; see {log}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``tripwire up`` on free loopback ports with the demo scenario sent through the SDK."""
    from tripwire_sdk import Emitter

    from tripwire.demo import DEMO_CONFIG, send_event
    from tripwire.synth import llm_stream, merge, model_stream

    tmp = tmp_path_factory.mktemp("up")
    receiver = _Receiver()
    config = dict(DEMO_CONFIG, webhooks={
        "defaults": {"allow_http": True, "allow_private": True, "group_wait_s": 0,
                     "retry_schedule_s": [0.5, 1.0]},
        "destinations": {"oncall": {"type": "generic", "url": receiver.url,
                                    "secret": "whsec_" + "dGVzdC1zZWNyZXQtZm9yLXVp" * 2}}})
    (tmp / "tripwire.yaml").write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPWIRE_")}
    kafka_port, api_port, ui_port = free_port(), free_port(), free_port()
    env.update(TRIPWIRE_DATA_DIR=str(tmp / "data"), TRIPWIRE_CONFIG=str(tmp / "tripwire.yaml"),
               TRIPWIRE_EMBEDDED_KAFKA_PORT=str(kafka_port), TRIPWIRE_API_PORT=str(api_port),
               TRIPWIRE_UI_PORT=str(ui_port), PYTHONPATH=str(ROOT))
    log = tmp / "up.out"
    proc = subprocess.Popen([sys.executable, "-m", "tripwire", "up"], cwd=tmp, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    api = f"http://127.0.0.1:{api_port}/api/v1"
    try:
        _wait(lambda: "ready" in log.read_text() or proc.poll() is not None, 120,
              "tripwire up", log)
        assert proc.poll() is None, log.read_text()
        emitter = Emitter(bootstrap=f"127.0.0.1:{kafka_port}", service="ui-browser-test",
                          max_queue=100_000)
        for event in merge(model_stream(N_PREDICTIONS, change_at=N_PREDICTIONS // 2),
                           llm_stream(N_LLM, v2_at=N_LLM // 2)):
            send_event(emitter, event)
        assert emitter.flush(60), emitter.stats
        emitter.close()

        def stored() -> bool:
            stats = get_json(f"{api}/stats")
            return stats["predictions"] >= N_PREDICTIONS and stats["llm"] >= N_LLM  # type: ignore[index]

        _wait(stored, 120, "every event stored", log)
        delivered = {"retrain", "prompt_rollback"}
        _wait(lambda: delivered <= {r.get("type") for r in receiver.records()}, 90,
              "both triggers delivered to the receiver", log)
        _wait(lambda: len(get_json(f"{api}/deliveries")) > 0, 60,  # type: ignore[arg-type]
              "delivery attempts stored", log)
        yield {"ui": f"http://127.0.0.1:{ui_port}", "api": api, "receiver": receiver,
               "proc": proc, "log": log}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        receiver.server.shutdown()


PAGES = [
    ("", "overview", ["Overview", "churn", "support-bot", "Firing now", "Retrain requested",
                      "Prompt rollback v2"], 2),
    ("model?entity=churn", "model", ["Drift by feature", "churn", "Feature drill-down",
                                     "Accuracy and labels", "Retrain requested",
                                     "Webhooks:"], 7),
    ("llm_app?entity=support-bot", "llm_app", ["support-bot", "Prompt rollback v2",
                                               "Least-grounded responses", "Budget",
                                               "Webhooks:"], 10),
    ("alerts", "alerts", ["Alerts & triggers", "churn", "support-bot", "Webhook deliveries",
                          "oncall", "Webhooks:", "sent to 1"], 1),
    ("report?entity=churn", "report", ["Drift report", "Drifted columns", "Evidently report"],
     1),
]


@pytest.mark.parametrize(("path", "name", "expect", "min_charts"), PAGES,
                         ids=[p[1] for p in PAGES])
def test_page_of_the_running_stack(stack: dict[str, Any], browser: Browser, path: str,
                                   name: str, expect: list[str], min_charts: int) -> None:
    shot = browser.shoot(f"{stack['ui']}/{path}", SCREENSHOTS / f"up_{name}.png", expect,
                         timeout=90)
    assert shot.charts >= min_charts, f"{name}: {shot.charts} chart elements"
    assert 'data-testid="stException"' not in shot.dom
    assert "Cannot reach the Tripwire read API" not in shot.text
    assert shot.png.stat().st_size > 20_000


def test_triggers_reached_the_receiver_once_each(stack: dict[str, Any]) -> None:
    triggers = get_json(f"{stack['api']}/triggers")
    delivered = [r for r in stack["receiver"].records() if r.get("kind") == "trigger"]
    ids = [r["trigger_id"] for r in delivered]
    assert sorted(ids) == sorted({t["trigger_id"] for t in triggers})  # type: ignore[union-attr]
    assert len(ids) == len(set(ids))  # each trigger delivered once
