"""The ``tripwire`` CLI as a user runs it: ``up`` (embedded stack), Ctrl-C, restart, errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tripwire_sdk import Emitter

from tests.conftest import ROOT, free_port, get_json

pytestmark = pytest.mark.e2e


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPWIRE_")}
    env.update(TRIPWIRE_DATA_DIR=str(tmp_path / "data"),
               TRIPWIRE_EMBEDDED_KAFKA_PORT=str(free_port()),
               TRIPWIRE_API_PORT=str(free_port()), TRIPWIRE_UI_PORT=str(free_port()))
    env.update(extra)
    return env


def _start_up(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, list[str]]:
    log = open(tmp_path / "up.out", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "tripwire", "up", "--no-ui"], cwd=tmp_path,
                            env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        text = (tmp_path / "up.out").read_text()
        if "ready" in text:
            return proc, text.splitlines()
        if proc.poll() is not None:
            raise AssertionError(f"tripwire up exited early:\n{text}")
        time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"tripwire up not ready:\n{(tmp_path / 'up.out').read_text()}")


def _stop(proc: subprocess.Popen) -> int:
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    return proc.wait(60)


def test_up_serves_the_api_stores_events_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = _env(tmp_path)
    api = f"http://127.0.0.1:{env['TRIPWIRE_API_PORT']}/api/v1"
    proc, lines = _start_up(env, tmp_path)
    try:
        assert any(line.startswith("broker") and "Tansu" in line for line in lines)
        assert any(line.startswith("worker") and "/api/v1/stats" in line for line in lines)
        assert get_json(f"{api}/health")["store"] is True  # type: ignore[index]
        emitter = Emitter(bootstrap=f"127.0.0.1:{env['TRIPWIRE_EMBEDDED_KAFKA_PORT']}",
                          flush_at_exit=False)
        for i in range(300):
            emitter.prediction("e2e-model", {"x": float(i)}, i % 2, event_id=f"p{i}")
        emitter.llm("e2e-app", "v1", "gpt-4o-mini", "What is 2+2?", "2+2 is 4.",
                    context=["2+2 is 4"], event_id="l1")
        assert emitter.flush(20)
        emitter.close()
        deadline = time.monotonic() + 60
        while get_json(f"{api}/stats")["predictions"] < 300:  # type: ignore[index]
            assert time.monotonic() < deadline, "events did not arrive"
            time.sleep(0.5)
        entities = get_json(f"{api}/entities")
        assert [m["name"] for m in entities["models"]] == ["e2e-model"]  # type: ignore[index]
    finally:
        code = _stop(proc)
    out = (tmp_path / "up.out").read_text()
    assert code == 0, out
    assert "stopped  worker" in out and "stopped  broker" in out
    assert "Traceback" not in out

    # Results survive a restart: the store lives in the data directory, and the monitor
    # continues from the checkpoint taken at shutdown (the store's copy: the restarted
    # embedded broker starts empty).
    proc, _ = _start_up(env, tmp_path)
    try:
        stats = get_json(f"{api}/stats")
        assert stats["predictions"] == 300 and stats["llm"] == 1  # type: ignore[index]
        deadline = time.monotonic() + 30
        while (state := get_json(f"{api}/state"))["restores"]["pending"] or \
                not state["partitions"]:  # type: ignore[index]
            assert time.monotonic() < deadline, state
            time.sleep(0.3)
        assert state["restores"]["entities"] == 2, state  # type: ignore[index]
        assert {e["entity"] for e in state["entities"]} == {"e2e-model", "e2e-app"}  # type: ignore[index]
    finally:
        assert _stop(proc) == 0


def test_worker_without_a_broker_fails_with_a_clear_message(tmp_path: Path) -> None:
    env = _env(tmp_path, TRIPWIRE_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}")
    result = subprocess.run([sys.executable, "-m", "tripwire", "worker"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "cannot reach Kafka" in result.stderr and "TRIPWIRE_KAFKA_BOOTSTRAP" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_settings_name_the_key_and_exit_2(tmp_path: Path) -> None:
    env = _env(tmp_path, TRIPWIRE_API_PORT="not-a-port")
    result = subprocess.run([sys.executable, "-m", "tripwire", "status"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "TRIPWIRE_API_PORT" in result.stderr and "Fix:" in result.stderr


def test_status_config_dump_masks_secrets(tmp_path: Path) -> None:
    env = _env(tmp_path, TRIPWIRE_API_TOKEN="very-secret-token-123",
               TRIPWIRE_CLICKHOUSE_DSN="https://u:hunter2@ch.example:8443/db")
    result = subprocess.run([sys.executable, "-m", "tripwire", "status", "--config-dump"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "very-secret" not in result.stdout and "hunter2" not in result.stdout
    assert '"api_token": "***"' in result.stdout


def test_sigterm_to_up_stops_every_child(tmp_path: Path) -> None:
    env = _env(tmp_path)
    proc, _ = _start_up(env, tmp_path)
    worker_pid = None
    for line in subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True,
                               text=True).stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1] == str(proc.pid) and "tripwire worker" in parts[2]:
            worker_pid = int(parts[0])
    assert worker_pid, "worker child not found"
    proc.send_signal(signal.SIGTERM)  # e.g. a service manager stopping `tripwire up`
    assert proc.wait(60) == 0
    time.sleep(1)
    assert subprocess.run(["kill", "-0", str(worker_pid)], capture_output=True).returncode != 0
    assert "stopped  worker" in (tmp_path / "up.out").read_text()


def test_config_flag_is_accepted_after_the_sub_command(tmp_path: Path) -> None:
    import orjson

    from tripwire.synth import llm_stream

    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in llm_stream(300, v2_at=100)))
    config = tmp_path / "tw.yaml"
    config.write_text("monitoring:\n  budgets:\n    - {app: support-bot, limit_usd: 0.01}\n")
    env = _env(tmp_path)
    runs = [subprocess.run([sys.executable, "-m", "tripwire", *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
            for args in (["replay", str(events), "--json"],
                         ["replay", str(events), "--config", str(config), "--json"],
                         ["--config", str(config), "replay", str(events), "--json"])]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert "budget.used_share" not in runs[0].stdout
    assert "budget.used_share" in runs[1].stdout and runs[1].stdout == runs[2].stdout


def test_up_refuses_a_busy_port_with_the_setting_to_change(tmp_path: Path) -> None:
    import socket

    env = _env(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(env["TRIPWIRE_UI_PORT"])))
        busy.listen()
        result = subprocess.run([sys.executable, "-m", "tripwire", "up"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "TRIPWIRE_UI_PORT" in result.stderr and "already in use" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr  # who holds it, and how to stop it
    assert f"kill {os.getpid()}" in result.stderr
    assert "broker" not in result.stdout  # checked before anything was started
