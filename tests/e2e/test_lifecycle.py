"""Process lifecycle of the embedded stack (issue 13, item 4 and 5), as a user meets it.

Children die with the launcher however it dies; Ctrl-C stops everything within 10 s; a
launcher whose stdout pipe was closed (``| head``) keeps working and still stops its children;
a worker whose broker is gone still exits within 10 s of SIGTERM; a clean stop first lets the
worker take what the in-memory broker still holds; a second ``up`` on a busy data directory
names the process that holds it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer

from tests.conftest import WorkerProcess, free_port, get_json
from tests.e2e.test_cli import _env, _start_up

pytestmark = pytest.mark.e2e

STOP_S = 10.0


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone_within(pids: list[int], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not any(_alive(p) for p in pids):
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"still running after {seconds}s: {[p for p in pids if _alive(p)]}")


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_ctrl_c_stops_everything_within_10_s(tmp_path: Path) -> None:
    proc, _ = _start_up(_env(tmp_path), tmp_path)
    children = _children(proc.pid)
    assert len(children) == 2  # broker and worker
    try:
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(STOP_S) == 0
        _gone_within(children, STOP_S - (time.monotonic() - started))
        print(f"FIGURES ctrl_c_stop_s={time.monotonic() - started:.1f}")
    finally:
        _kill_all(children)
    out = (tmp_path / "up.out").read_text()
    assert "stopped  worker" in out and "stopped  broker" in out and "killed" not in out


def test_children_die_with_a_sigkilled_launcher(tmp_path: Path) -> None:
    proc, _ = _start_up(_env(tmp_path), tmp_path)
    children = _children(proc.pid)
    assert len(children) == 2
    try:
        proc.kill()
        proc.wait(5)
        _gone_within(children, STOP_S)
    finally:
        _kill_all(children)


def test_a_closed_stdout_does_not_stop_the_launcher_from_stopping_its_children(
        tmp_path: Path) -> None:
    env = _env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "tripwire", "up", "--no-ui"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    assert proc.stdout is not None
    head = [proc.stdout.readline() for _ in range(3)]  # `| head -n 3`
    proc.stdout.close()
    assert all(head), head
    api = f"http://127.0.0.1:{env['TRIPWIRE_API_PORT']}/api/v1"
    deadline = time.monotonic() + 90
    while True:  # the launcher goes on after its pipe closed: the worker comes up
        try:
            if get_json(f"{api}/health", 1)["store"]:  # type: ignore[index]
                break
        except OSError:
            pass
        assert time.monotonic() < deadline and proc.poll() is None, "launcher died"
        time.sleep(0.3)
    up_log = tmp_path / "data" / "logs" / "up.log"
    while "ready" not in (up_log.read_text() if up_log.exists() else ""):
        assert time.monotonic() < deadline and proc.poll() is None, "launcher died"
        time.sleep(0.2)  # the launcher's own readiness check comes after the worker's API
    children = _children(proc.pid)
    try:
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(STOP_S) == 0
        _gone_within(children, 2)
    finally:
        _kill_all(children)
    log = (tmp_path / "data" / "logs" / "up.log").read_text()
    assert "ready" in log and "stopped  broker" in log


def test_a_worker_whose_broker_is_gone_exits_within_10_s_of_sigterm(tmp_path: Path) -> None:
    from tripwire.embedded import EmbeddedBroker, ensure_topics

    broker = EmbeddedBroker(free_port())
    broker.start()
    ensure_topics(broker.bootstrap, 4)
    worker = WorkerProcess(broker.bootstrap, tmp_path / "data").start()
    broker.stop(timeout=1)
    time.sleep(1)
    started = time.monotonic()
    assert worker.proc is not None
    os.killpg(worker.proc.pid, signal.SIGTERM)
    worker.proc.wait(STOP_S + 2)
    assert time.monotonic() - started <= STOP_S


def test_a_clean_stop_drains_what_the_embedded_broker_holds(tmp_path: Path) -> None:
    env = _env(tmp_path)
    api = f"http://127.0.0.1:{env['TRIPWIRE_API_PORT']}/api/v1"
    proc, _ = _start_up(env, tmp_path)
    children = _children(proc.pid)
    try:
        bootstrap = f"127.0.0.1:{env['TRIPWIRE_EMBEDDED_KAFKA_PORT']}"
        producer = KafkaProducer(bootstrap_servers=bootstrap)
        for i in range(40):  # 4,000 predictions, then Ctrl-C at once
            batch = [{"type": "prediction", "schema": 1, "event_id": f"d{i}-{j}", "ts": 1e9 + i,
                      "model": "drain", "model_version": "v1", "features": {"x": j},
                      "prediction": 1} for j in range(100)]
            producer.send("tripwire.predictions", key=b"drain", value=orjson.dumps(batch))
        producer.flush(10)
        producer.close()
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(STOP_S) == 0
    finally:
        _kill_all(children)
    proc, _ = _start_up(env, tmp_path)  # the store lives on; the broker starts empty
    try:
        assert get_json(f"{api}/stats")["predictions"] == 4000  # type: ignore[index]
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(STOP_S)


def test_up_on_a_data_dir_in_use_names_the_process(tmp_path: Path) -> None:
    proc, _ = _start_up(_env(tmp_path), tmp_path)
    children = _children(proc.pid)
    worker = next(p for p in children if b"worker" in Path(f"/proc/{p}/cmdline").read_bytes())
    try:
        second = subprocess.run([sys.executable, "-m", "tripwire", "up", "--no-ui"],
                                cwd=tmp_path, env=_env(tmp_path), capture_output=True,
                                text=True, timeout=60)
        assert second.returncode == 2, second.stderr
        assert f"pid {worker}" in second.stderr and f"kill {worker}" in second.stderr
        assert "TRIPWIRE_DATA_DIR" in second.stderr
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(STOP_S)
        _kill_all(children)

