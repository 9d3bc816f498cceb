"""``tripwire replay`` and ``tripwire drift`` as a user runs them (subprocesses, cwd = repo root).

The replay file mixes a churn model (``tripwire.synth.model_stream``: drift and an accuracy drop
from prediction 30,000) with a support bot whose v2 hallucinates (``_streams.llm_events``); it
holds 114,000 events, so the 100,000-event progress line shows. Replay output must equal what
``streams.monitor.Monitor`` returns in-process for the same events and config.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from _streams import llm_events, run
from tripwire_sdk.events import validate

from detectors.budget import Budget
from detectors.drift import compare
from streams.monitor import MonitorConfig
from tripwire.replay import alert_line, signal_line, trigger_line
from tripwire.synth import merge, model_stream

ROOT = Path(__file__).resolve().parents[2]
ALERT_KEYS = {"kind", "entity", "metric", "state", "ts", "value", "dimension", "severity",
              "threshold"}
TRIGGER_KEYS = {"kind", "type", "entity", "ts", "reason", "trigger_id"}


def tripwire(*args: str, config: Path | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m tripwire ARGS`` with no TRIPWIRE_* variable but ``TRIPWIRE_CONFIG``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPWIRE_")}
    if config is not None:
        env["TRIPWIRE_CONFIG"] = str(config)
    return subprocess.run([sys.executable, "-m", "tripwire", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def write_jsonl(path: Path, events: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


def expected_lines(events: list[dict], config: MonitorConfig | None = None) -> list[dict]:
    """What replay must print: the in-process monitor's alerts and triggers, as replay lines."""
    lines = []
    for record in run([validate(dict(e)) for e in events], config):
        if record.get("kind") == "alert":
            lines.append(alert_line(record))
        elif record.get("kind") == "trigger":
            lines.append(trigger_line(record))
    return json.loads(json.dumps(lines))


def parse(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture(scope="module")
def events() -> list[dict]:
    model = list(model_stream(55_000, change_at=30_000, seed=3))
    llm = llm_events(4000, seed=3, v2_at=2000, v2_bad_share=0.3)
    return list(merge(iter(model), iter(llm)))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay")
    (path / "empty.yaml").write_text("monitoring: {}\n")
    return path


@pytest.fixture(scope="module")
def events_file(events: list[dict], workdir: Path) -> Path:
    return write_jsonl(workdir / "events.jsonl", events)


@pytest.fixture(scope="module")
def replayed(events_file: Path, workdir: Path) -> list[subprocess.CompletedProcess[str]]:
    return [tripwire("replay", str(events_file), "--json", config=workdir / "empty.yaml")
            for _ in range(2)]


def test_replay_prints_only_contract_json_lines(replayed):
    result = replayed[0]
    assert result.returncode == 0, result.stderr
    lines = parse(result.stdout)  # every stdout line is one JSON object
    kinds = {(x["kind"], x.get("type")) for x in lines}
    assert {("alert", None), ("trigger", "retrain"), ("trigger", "prompt_rollback")} <= kinds
    for x in lines:
        if x["kind"] == "alert":
            assert set(x) == ALERT_KEYS, x
            assert x["state"] in ("firing", "resolved")
        elif x["type"] == "retrain":
            assert set(x) == TRIGGER_KEYS | {"suggested_reference"}, x
            assert set(x["suggested_reference"]) == {"window_start", "window_end"}
        else:
            assert x["type"] == "prompt_rollback"
            assert set(x) == TRIGGER_KEYS | {"from_version", "to_version"}, x
            assert (x["from_version"], x["to_version"]) == ("v2", "v1")
        assert isinstance(x["ts"], float)
        if x["kind"] == "alert":
            assert isinstance(x["value"], float)
        else:
            assert x["reason"] and all(isinstance(r, str) for r in x["reason"])


def test_replay_progress_and_summary_go_to_stderr(replayed, events):
    result = replayed[0]
    stderr = result.stderr.splitlines()
    assert any(line.startswith("replay: ") and "events" in line for line in stderr[:-1])
    summary = stderr[-1]
    assert summary.startswith(f"replay: done, {len(events):,} events (0 invalid lines skipped)")
    kinds = [x["kind"] for x in parse(result.stdout)]
    assert f"{kinds.count('alert')} alert changes, {kinds.count('trigger')} triggers" in summary
    assert "replay:" not in result.stdout


def test_replay_is_deterministic(replayed):
    assert replayed[0].stdout == replayed[1].stdout
    assert replayed[0].stdout.count("\n") > 5


def test_replay_equals_the_in_process_monitor(replayed, events):
    assert parse(replayed[0].stdout) == expected_lines(events)


SIGNAL_KEYS = {"kind", "entity", "metric", "dimension", "value", "ts", "window_start",
               "window_end", "threshold", "n", "entity_type"}


@pytest.fixture(scope="module")
def replayed_signals(events_file: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    return tripwire("replay", str(events_file), "--json", "--signals",
                    config=workdir / "empty.yaml")


def test_replay_signals_adds_signal_lines_and_nothing_else(replayed_signals, replayed, events):
    result = replayed_signals
    assert result.returncode == 0, result.stderr
    lines = parse(result.stdout)
    signals = [x for x in lines if x["kind"] == "signal"]
    # alert and trigger lines unchanged, in the same order; without --signals, no signal line
    assert [x for x in lines if x["kind"] != "signal"] == parse(replayed[0].stdout)
    assert "signal" not in {x["kind"] for x in parse(replayed[0].stdout)}
    for x in signals:
        assert SIGNAL_KEYS <= set(x) <= SIGNAL_KEYS | {"model_version"}, x
        assert x["window_start"] <= x["window_end"] and isinstance(x["value"], float)
    metrics = {x["metric"] for x in signals}
    assert {"drift.share", "drift.burst", "accuracy", "estimated.accuracy", "estimated.auc",
            "estimate_error.accuracy", "hallucination.rate"} <= metrics, metrics
    expected = [signal_line(r) for r in run([validate(dict(e)) for e in events])
                if r.get("kind") == "signal"]
    assert signals == json.loads(json.dumps(expected))


def test_replay_config_changes_the_output(events, events_file, workdir, replayed):
    yaml = workdir / "window500.yaml"
    yaml.write_text("monitoring:\n  window_events: 500\n  budgets:\n"
                    "    - {app: support-bot, limit_usd: 0.05}\n")
    # --config on the command line (TRIPWIRE_CONFIG points to the empty file and loses)
    result = tripwire("--config", str(yaml), "replay", str(events_file), "--json",
                      config=workdir / "empty.yaml")
    assert result.returncode == 0, result.stderr
    lines = parse(result.stdout)
    assert lines != parse(replayed[0].stdout)
    config = MonitorConfig(window_events=500, budgets=(Budget("support-bot", limit_usd=0.05),))
    assert lines == expected_lines(events, config)
    budget = [x for x in lines if x["kind"] == "alert" and x["metric"] == "budget.used_share"]
    assert [x["dimension"] for x in budget] == [f"day:2026-01-01@{p}%" for p in (50, 80, 100)]


def test_replay_config_from_environment(events, events_file, workdir):
    yaml = workdir / "env.yaml"
    yaml.write_text("monitoring: {window_events: 500}\n")
    result = tripwire("replay", str(events_file), "--json", config=yaml)
    assert result.returncode == 0, result.stderr
    assert parse(result.stdout) == expected_lines(events, MonitorConfig(window_events=500))


def test_replay_reports_invalid_lines_and_skips_them(events, workdir, replayed):
    body = [orjson.dumps(e).decode() for e in events]
    bad_json, bad_event = 11, 5001  # 1-based line numbers in the new file
    body.insert(bad_json - 1, "{not json")
    missing = {k: v for k, v in events[5000].items() if k != "model"}
    missing["event_id"] = "broken"
    body.insert(bad_event - 1, json.dumps(missing))
    path = workdir / "with_errors.jsonl"
    path.write_text("\n".join(body) + "\n")
    result = tripwire("replay", str(path), "--json", config=workdir / "empty.yaml")
    assert result.returncode == 0, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert errors[0].startswith(f"line {bad_json}: skipped: invalid JSON"), errors
    assert errors[1].startswith(f"line {bad_event}: skipped: ") and "model" in errors[1], errors
    assert len(errors) == 2
    assert f"{len(events):,} events (2 invalid lines skipped)" in result.stderr
    assert result.stdout == replayed[0].stdout


def test_replay_missing_file_fails_clearly(workdir):
    result = tripwire("replay", str(workdir / "nope.jsonl"), "--json",
                      config=workdir / "empty.yaml")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "nope.jsonl: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_replay_missing_config_fails_clearly(events_file, workdir):
    result = tripwire("replay", str(events_file), "--json", config=workdir / "absent.yaml")
    assert result.returncode == 2 and result.stdout == ""
    assert "absent.yaml does not exist" in result.stderr and "Traceback" not in result.stderr


# -- tripwire drift -------------------------------------------------------------------------------
def test_drift_cli_json_agrees_with_compare(tmp_path: Path):
    rng = np.random.default_rng(5)
    n_ref, n_cur = 1500, 800
    reference = pd.DataFrame({
        "age": rng.normal(38, 9, n_ref).round(2),
        "spend": rng.gamma(4, 20, n_ref).round(2),
        "plan": rng.choice(["free", "basic", "pro"], n_ref, p=[0.5, 0.3, 0.2]),
        "rooms": rng.integers(1, 4, n_ref),
    })
    current = pd.DataFrame({
        "age": rng.normal(46, 9, n_cur).round(2),  # shifted
        "spend": rng.gamma(4, 20, n_cur).round(2),  # same
        "plan": rng.choice(["free", "basic", "pro"], n_cur, p=[0.2, 0.3, 0.5]),  # shifted
        "rooms": rng.integers(1, 4, n_cur),  # same
    })
    current.loc[::50, "spend"] = np.nan  # some missing values
    ref_path, cur_path = tmp_path / "A.csv", tmp_path / "B.csv"
    reference.to_csv(ref_path, index=False)
    current.to_csv(cur_path, index=False)

    result = tripwire("drift", "--reference", str(ref_path), "--current", str(cur_path), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"columns", "dataset_drifted"}
    assert set(out["columns"]) == {"age", "spend", "plan", "rooms"}
    for col in out["columns"].values():
        assert set(col) == {"method", "statistic", "threshold", "drifted"}

    def columns(path: Path) -> dict[str, list]:
        frame = pd.read_csv(path)
        frame = frame.astype(object).where(frame.notna(), None)
        return {c: frame[c].tolist() for c in frame.columns}

    want = compare(columns(ref_path), columns(cur_path))
    assert out["dataset_drifted"] == want["dataset_drifted"] is True
    for name, col in want["columns"].items():
        got = out["columns"][name]
        assert (got["method"], got["threshold"], got["drifted"]) == (
            col["method"], col["threshold"], col["drifted"]), name
        assert got["statistic"] == pytest.approx(col["statistic"], rel=1e-12), name
    assert {k for k, c in out["columns"].items() if c["drifted"]} == {"age", "plan"}


def test_drift_cli_missing_column_fails_clearly(tmp_path: Path):
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1, 2, 3]}).to_csv(tmp_path / "A.csv", index=False)
    pd.DataFrame({"a": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "B.csv", index=False)
    result = tripwire("drift", "--reference", str(tmp_path / "A.csv"), "--current",
                      str(tmp_path / "B.csv"), "--json")
    assert result.returncode == 2 and result.stdout == ""
    assert "['b']" in result.stderr and "Traceback" not in result.stderr
