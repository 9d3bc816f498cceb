"""``tripwire deliver`` as its own process against the real broker and a loopback receiver.

An alert is published to ``tripwire.alerts``; the receiver fails the first attempts with 500;
the delivery worker is SIGKILLed mid-retry and restarted; the receiver must see exactly one
successful delivery of that webhook-id, with a signature a stock HMAC check accepts, and every
attempt ends up in the worker's ``webhook_deliveries`` table.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml
from kafka import KafkaProducer

from docs.receiver import verify
from tests.conftest import ROOT, get_json

pytestmark = pytest.mark.integration

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 random bytes, base64


class _Receiver:
    """Fails the first ``failures`` POSTs with 500, then answers 204; records everything."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[tuple[int, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = 500 if len(receiver.requests) < receiver.failures else 204
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append((status, headers, body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ok(self) -> list[tuple[int, dict[str, str], bytes]]:
        return [r for r in self.requests if r[0] == 204]


def _deliver(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tripwire", "deliver"], cwd=ROOT, env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
                            start_new_session=True)


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_retries_then_exactly_one_delivery_across_a_sigkill(broker, worker_factory, tmp_path):
    receiver = _Receiver(failures=3)
    config = tmp_path / "tripwire.yaml"
    config.write_text(yaml.safe_dump({"webhooks": {
        "defaults": {"retry_schedule_s": [1.0, 1.0, 2.0, 2.0, 2.0], "jitter": 0.0,
                     "group_wait_s": 0, "allow_http": True, "allow_private": True},
        "destinations": {"oncall": {"type": "generic", "url": receiver.url,
                                    "secret": SECRET}}}}))
    worker = worker_factory()  # stores the delivery rows it reads from tripwire.deliveries
    env = dict(worker.env, TRIPWIRE_CONFIG=str(config))
    log = tmp_path / "deliver.log"
    first = _deliver(env, log)

    alert = {"kind": "alert", "alert_id": "a" * 40, "entity_type": "model", "entity": "churn",
             "metric": "drift.share", "dimension": "", "state": "firing",
             "severity": "critical", "ts": time.time(), "value": 0.7, "threshold": 0.5,
             "window_start": time.time() - 60, "window_end": time.time(), "evidence": {}}
    producer = KafkaProducer(bootstrap_servers=broker)
    producer.send("tripwire.alerts", key=b"churn", value=json.dumps(alert).encode())
    producer.flush(10)

    _wait(lambda: len(receiver.requests) >= 2, 60, "two failed attempts")
    os.killpg(first.pid, signal.SIGKILL)  # killed in the middle of its retries
    first.wait(10)
    second = _deliver(env, log)
    try:
        _wait(lambda: receiver.ok(), 60, "a successful delivery")
        time.sleep(4)  # give a buggy duplicate time to show up
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(30)

    ids = {headers["webhook-id"] for _, headers, _ in receiver.requests}
    assert len(ids) == 1, "every attempt carries the same webhook-id"
    assert len(receiver.ok()) == 1, receiver.requests
    assert len(receiver.requests) >= 4  # 3 failures (across the kill) then the success
    _, headers, body = receiver.ok()[0]
    assert verify(headers, body, SECRET)
    assert not verify(headers, body + b" ", SECRET)
    payload = json.loads(body)
    assert payload["data"]["records"][0]["alert_id"] == alert["alert_id"]

    # A third start (nothing pending) must not deliver it again.
    third = _deliver(env, log)
    time.sleep(6)
    os.killpg(third.pid, signal.SIGTERM)
    third.wait(30)
    assert len(receiver.ok()) == 1

    webhook_id = next(iter(ids))
    rows: list = []

    def stored() -> bool:
        rows[:] = get_json(f"{worker.api}/deliveries?webhook_id={webhook_id}")  # type: ignore
        return any(r["ok"] for r in rows) and len(rows) >= 3

    _wait(stored, 30, "delivery rows in the store")
    ref = f"alert|{alert['alert_id']}|firing|{float(alert['ts'])!r}"  # which state change
    assert all(r["refs"] == [ref] for r in rows), rows
    assert SECRET not in log.read_text() and SECRET[6:] not in json.dumps(rows)
