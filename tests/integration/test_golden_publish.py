"""A golden run's record travels CLI → ``tripwire.golden`` (real broker) → worker → store →
``GET /api/v1/llm/golden``, with the comparison against the last version that passed; a
malformed record on the topic becomes a dead letter."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from kafka import KafkaProducer

from tests.fake_llm import FakeLLM
from tripwire.cli import main

pytestmark = pytest.mark.integration

SET = Path(__file__).resolve().parents[1] / "golden" / "support-bot.jsonl"


def _golden(worker) -> list:
    from tests.conftest import get_json

    return get_json(f"{worker.api}/llm/golden?app=support-bot")  # type: ignore[return-value]


def test_golden_runs_reach_the_read_api(broker, worker_factory, monkeypatch, tmp_path, capsys):
    worker = worker_factory()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIPWIRE_KAFKA_BOOTSTRAP", broker)
    for version, mode in (("v1", "good"), ("v2", "inventive")):
        with FakeLLM(mode) as fake:
            code = main(["golden", "run", str(SET), "--app", "support-bot", "--version",
                         version, "--endpoint", fake.base, "--model", "gpt-4o-mini"])
        assert code == (0 if mode == "good" else 1)
        time.sleep(0.05)  # distinct run timestamps
    assert "not published" not in capsys.readouterr().err
    producer = KafkaProducer(bootstrap_servers=broker)
    producer.send("tripwire.golden", key=b"support-bot", value=b'{"kind": "signal"}').get(10)
    producer.close()
    worker.wait_for(lambda s: s["deadletter"] >= 1)
    deadline = time.monotonic() + 30
    while len(runs := _golden(worker)) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert [(r["prompt_version"], r["passed"], r["n_passed"]) for r in runs] == [
        ("v1", True, 4), ("v2", False, 0)]
    assert runs[0]["baseline"] is None
    assert runs[1]["baseline"]["prompt_version"] == "v1"
    assert runs[1]["baseline"]["run_id"] == runs[0]["run_id"]
    assert runs[1]["failed_checks"] == {"grounded": 4}
    assert [c["id"] for c in runs[1]["cases"]][:1] == ["refund-window"]
    assert json.dumps(runs).count("sk-") == 0
