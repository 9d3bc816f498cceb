"""``tripwire golden run`` against a local fake OpenAI-compatible endpoint, as CI would call it.

A good version passes (exit 0); a version that invents numbers fails on ``grounded`` and a
slow one on ``max_latency_ms`` (exit 1); retries honour ``Retry-After``; concurrency, the
timeout and the cost cap bound the run; usage errors exit 2; the API key is sent as the bearer
token and appears nowhere in the output or the record.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fake_llm import FakeLLM
from tripwire.cli import main

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SET = ROOT / "tests" / "golden" / "support-bot.jsonl"
KEY = "sk-golden-test-0123456789abcdefSECRET"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray tripwire.yaml
    monkeypatch.delenv("TRIPWIRE_CONFIG", raising=False)
    monkeypatch.setenv("GOLDEN_KEY", KEY)


def golden(fake: FakeLLM, *extra: str, version: str = "v2") -> list[str]:
    return ["golden", "run", str(SET), "--app", "support-bot", "--version", version,
            "--endpoint", fake.base, "--model", "gpt-4o-mini", "--api-key-env", "GOLDEN_KEY",
            "--no-publish", *extra]


def run_json(capsys, args: list[str]) -> tuple[int, list[dict], dict, str]:
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert KEY not in out and KEY not in err
    return code, [x for x in lines if x["kind"] == "case"], lines[-1], err


def test_good_version_passes(capsys):
    with FakeLLM("good") as fake:
        code, cases, summary, _ = run_json(capsys, golden(fake))
    assert code == 0 and summary["passed"] is True and summary["kind"] == "summary"
    assert [c["id"] for c in cases] == ["refund-window", "shipping", "pro-price", "password-reset"]
    assert all(c["passed"] and c["failed"] == [] and c["hallucinated"] is False for c in cases)
    assert summary["n_passed"] == 4 and summary["pass_rate"] == 1.0
    assert summary["cost_usd"] > 0 and all(c["input_tokens"] == 60 for c in cases)
    assert summary["groundedness_mean"] > 0.8
    assert set(fake.auth) == {f"Bearer {KEY}"}


def test_version_that_invents_numbers_fails_on_grounded(capsys):
    with FakeLLM("inventive") as fake:
        code, cases, summary, _ = run_json(capsys, golden(fake, version="v3"))
    assert code == 1 and summary["passed"] is False
    assert [c["failed"] for c in cases] == [["grounded"]] * 4
    assert all({"4,812", "37"} & set(c["unsupported"]) for c in cases)
    assert summary["failed_checks"] == {"grounded": 4}


def test_slow_version_fails_on_latency_with_bounded_concurrency(capsys):
    with FakeLLM("slow", delay_s=1.2) as fake:
        started = time.monotonic()
        code, cases, summary, _ = run_json(capsys, golden(fake, "--concurrency", "2"))
        elapsed = time.monotonic() - started
    assert code == 1 and [c["failed"] for c in cases] == [["max_latency_ms"]] * 4
    assert all(c["latency_ms"] >= 1200 for c in cases)
    assert fake.max_in_flight == 2 and elapsed >= 2.4  # two waves of two


def test_timeout_is_a_failed_case_not_a_crash(capsys):
    with FakeLLM("slow", delay_s=3) as fake:
        code, cases, _, _ = run_json(capsys, golden(fake, "--timeout", "0.5"))
    assert code == 1
    assert all(c["failed"] == ["error"] and c["error"].startswith("timeout") for c in cases)


def test_429_is_retried_after_retry_after(capsys):
    with FakeLLM("flaky") as fake:
        started = time.monotonic()
        code, cases, _, _ = run_json(capsys, golden(fake, "--concurrency", "4"))
        elapsed = time.monotonic() - started
    assert code == 0 and all(c["attempts"] == 2 for c in cases)
    assert fake.requests == 8 and elapsed >= 1.0


def test_5xx_exhausts_retries_and_never_leaks_the_key(capsys):
    with FakeLLM("down") as fake:
        code, cases, summary, err = run_json(capsys, golden(fake, "--retries", "1"))
    assert code == 1 and fake.requests == 8
    assert all(c["error"] == "HTTP 503 after 2 attempt(s)" for c in cases)
    assert summary["failed_checks"] == {"error": 4}


def test_cost_cap_stops_calls(capsys):
    with FakeLLM("good") as fake:
        code, cases, _, _ = run_json(capsys, golden(fake, "--max-cost-usd", "0.00001"))
        assert fake.requests == 0
    assert code == 1 and all(c["failed"] == ["cost_cap"] for c in cases)


def test_table_output_and_system_prompt(capsys, tmp_path):
    system = tmp_path / "system.txt"
    system.write_text("You are the support bot. Documents:\n{context}\nBe brief.")
    with FakeLLM("good") as fake:
        code = main(golden(fake, "--system", str(system)))
    out = capsys.readouterr().out
    assert code == 0
    assert "refund-window            pass" in out
    assert "v2: 4/4 passed (100%, needs 100%) · PASS" in out


def _usage_error(capsys, args: list[str]) -> str:
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    return err


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "not valid JSON"),
    ('{"id": "a", "input": "q", "expect": {"contain": ["x"]}}', "unknown expect keys"),
    ('{"id": "a", "input": "q", "expect": {"grounded": true}}', "needs context"),
    ('{"id": "a", "input": "", "expect": {}}', "input must be"),
    ('{"id": "a", "input": "q", "expect": {"regex": "("}}', "does not compile"),
    ('{"id": "a", "input": "q", "expect": {"max_latency_ms": -1}}', "must be a number"),
])
def test_bad_golden_file_is_a_usage_error(capsys, tmp_path, line, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n")
    args = ["golden", "run", str(bad), "--app", "a", "--version", "v", "--endpoint",
            "http://127.0.0.1:9/v1", "--model", "m", "--no-publish"]
    err = _usage_error(capsys, args)
    assert f"{bad}:1" in err and message in err and "Fix:" in err


def test_other_usage_errors(capsys, monkeypatch):
    base = ["golden", "run", str(SET), "--app", "a", "--version", "v", "--model", "m",
            "--no-publish"]
    err = _usage_error(capsys, [*base, "--endpoint", "ftp://host/v1"])
    assert "--endpoint" in err and "https://" in err
    monkeypatch.delenv("GOLDEN_KEY")
    err = _usage_error(capsys, [*base, "--endpoint", "http://127.0.0.1:9/v1",
                                "--api-key-env", "GOLDEN_KEY"])
    assert "GOLDEN_KEY" in err and "export GOLDEN_KEY" in err
    assert "no such file" in _usage_error(capsys, ["golden", "run", "nope.jsonl", *base[3:],
                                                   "--endpoint", "http://127.0.0.1:9/v1"])
    with pytest.raises(SystemExit) as info:
        main(["golden", "run", str(SET), "--version", "v"])  # argparse: missing --app ...
    assert info.value.code == 2


def test_cli_process_exit_codes():
    """As CI runs it: a real process, exit status 0 then 1."""
    with FakeLLM("good") as good, FakeLLM("inventive") as bad:
        env_args = {"env": {"PATH": "/usr/bin:/bin", "GOLDEN_KEY": KEY}, "cwd": ROOT,
                    "capture_output": True, "text": True, "timeout": 120}
        ok = subprocess.run([sys.executable, "-m", "tripwire", *golden(good)], **env_args)
        fail = subprocess.run([sys.executable, "-m", "tripwire", *golden(bad)], **env_args)
    assert ok.returncode == 0, ok.stderr
    assert fail.returncode == 1, fail.stderr
    assert "FAIL" in fail.stdout and KEY not in ok.stdout + ok.stderr + fail.stdout + fail.stderr
