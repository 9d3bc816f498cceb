"""``tripwire groundedness FILE.jsonl`` as a user runs it: JSON lines, bad lines, summary,
progress, and the worker's settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from streams.monitor import Enricher, MonitorConfig
from tests.conftest import ROOT
from tripwire import cli_groundedness

pytestmark = pytest.mark.e2e

BOOK = "The Secret Place is written by Tana French. The Secret Place was released 2014."
GOOD = {"response": "The Secret Place was released in 2014.", "context": BOOK,
        "prompt": "When was it released?"}
BAD = {"response": "The Secret Place was released in 1995.", "context": [BOOK],
       "prompt": "When was it released?"}


def _run(tmp_path: Path, lines: list[str], *args: str,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    path = tmp_path / "events.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRIPWIRE_")}
    return subprocess.run([sys.executable, "-m", "tripwire", "groundedness", str(path), *args],
                          cwd=tmp_path, env={**base, **(env or {})}, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_json_output_has_one_result_per_line_in_order(tmp_path: Path) -> None:
    proc = _run(tmp_path, [json.dumps(GOOD), json.dumps(BAD)], "--json")
    assert proc.returncode == 0, proc.stderr
    good, bad = (json.loads(line) for line in proc.stdout.splitlines())
    assert set(good) == {"score", "flagged", "reasons"}
    assert isinstance(good["score"], float) and 0.0 <= good["score"] <= 1.0
    assert good["flagged"] is False and good["reasons"] == []
    assert bad["flagged"] is True and bad["score"] < good["score"]
    assert bad["reasons"] == ["number contradicts context: 1995 (context: 2014)"]
    assert proc.stderr == ""


def test_bad_lines_are_reported_and_replaced_and_the_run_goes_on(tmp_path: Path) -> None:
    lines = [json.dumps(GOOD), "{not json", json.dumps({"context": BOOK}), "",
             json.dumps({"response": "x", "context": [1, 2]}), json.dumps([1]),
             json.dumps(BAD)]
    proc = _run(tmp_path, lines, "--json")
    assert proc.returncode == 0
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    assert [("error" in o) for o in out] == [False, True, True, True, True, True, False]
    assert out[2] == {"error": 'missing "response"'} and out[3] == {"error": "empty line"}
    assert out[4] == {"error": '"context" must be a string or a list of strings'}
    assert out[6]["flagged"] is True
    errors = proc.stderr.splitlines()
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4", "line 5",
                                                 "line 6"]
    assert errors[1] == 'line 3: skipped: missing "response"'
    assert all(": skipped: " in e for e in errors)


def test_summary_mode(tmp_path: Path) -> None:
    proc = _run(tmp_path, [json.dumps(GOOD), json.dumps(BAD), "oops"])
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == "lines scored  2 (1 skipped)"
    assert lines[1] == "flagged       50.0% (1 of 2)"
    assert lines[2].startswith("score         min ") and " median " in lines[2]
    assert proc.stderr.startswith("line 3: skipped: invalid JSON")


def test_progress_on_stderr_for_files_over_10000_lines(tmp_path: Path) -> None:
    short = {"response": "Tana French.", "context": BOOK}
    proc = _run(tmp_path, [json.dumps(short)] * 10_001)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["tripwire groundedness: 10,000 / 10,001 lines"]
    assert proc.stdout.startswith("lines scored  10,001\n")
    quiet = _run(tmp_path, [json.dumps(short)] * 10)
    assert quiet.stderr == ""


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "tripwire", "groundedness",
                           str(tmp_path / "nope.jsonl")], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Fix:" in proc.stderr


def test_uses_the_workers_settings(tmp_path: Path) -> None:
    """``monitoring.groundedness_min_score`` moves the flag of the CLI and of the worker's
    enricher alike (both build the scorer with MonitorConfig.groundedness_scorer)."""
    default = _run(tmp_path, [json.dumps(GOOD)], "--json")
    strict_env = {"TRIPWIRE_MONITORING__GROUNDEDNESS_MIN_SCORE": "0.99"}
    strict = _run(tmp_path, [json.dumps(GOOD)], "--json", env=strict_env)
    assert json.loads(default.stdout)["flagged"] is False
    assert json.loads(strict.stdout)["flagged"] is True
    enrich = Enricher(MonitorConfig(groundedness_min_score=0.99))
    event = {"llm_model": "gpt-4o-mini", "prompt": GOOD["prompt"], "context": [BOOK],
             "response": GOOD["response"], "usage": {"input_tokens": 1, "output_tokens": 1}}
    assert enrich(event)["hallucinated"] is True
    assert Enricher(MonitorConfig())(event)["hallucinated"] is False


def test_parse_line_names_each_problem() -> None:
    parse = cli_groundedness.parse_line
    assert parse(json.dumps(GOOD).encode()) == (GOOD["response"], [BOOK], GOOD["prompt"])
    assert parse(b'{"response": "a", "context": "b", "prompt": null}') == ("a", ["b"], "")
    for raw, message in [(b"[1]", "expected a JSON object, got list"),
                         (b'{"response": 1, "context": ""}', '"response" must be a string'),
                         (b'{"response": "a"}', 'missing "context"'),
                         (b'{"response": "a", "context": "b", "prompt": 3}',
                          '"prompt" must be a string')]:  # fmt: skip
        with pytest.raises(ValueError, match=message):
            parse(raw)
