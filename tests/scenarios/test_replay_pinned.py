"""Pins what the monitor outputs on one fixed, seeded stream, so refactors cannot change it.

The stream mixes two models (one drifting and decaying from prediction 12,000, one stable that
moves to a new model version) with an LLM app whose v2 regresses, under a daily budget. Pinned:
the exact ``tripwire replay --json`` output (alert and trigger lines, byte for byte) and a
digest of every monitor output record, signals included.

When a change is *meant* to alter detection, regenerate the golden files and say why in the
commit:  ``.venv/bin/python tests/scenarios/test_replay_pinned.py --regenerate``
"""

from __future__ import annotations

import hashlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tripwire_sdk.events import Limits, validate

from detectors.budget import Budget
from streams.monitor import Monitor, MonitorConfig
from tripwire.replay import replay
from tripwire.synth import T0, llm_stream, merge, model_stream

GOLDEN = Path(__file__).parent / "golden"
CONFIG = MonitorConfig(budgets=(Budget("support-bot", 0.3, thresholds=(0.5, 1.0)),))


def stream() -> Iterator[dict[str, Any]]:
    return merge(model_stream(24_000, change_at=12_000, seed=5),
                 model_stream(12_000, model="pricing", seed=6, label_share=0.5),
                 _renamed(model_stream(12_000, model="pricing", seed=7, version="v2",
                                       t0=T0 + 12_000 / 50.0, label_share=0.5), "v2-"),
                 llm_stream(6_000, v2_at=3_000, seed=8))


def _renamed(events: Iterator[dict[str, Any]], prefix: str) -> Iterator[dict[str, Any]]:
    for event in events:
        yield {**event, "event_id": prefix + event["event_id"],
               "prediction_id": prefix + event["prediction_id"]}


def replay_output(path: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    replay(path, Monitor(CONFIG), Limits(), as_json=True, out=out, err=err)
    return out.getvalue()


def all_records_digest() -> str:
    """sha256 of every output record (signals, alerts, triggers, references) in order."""
    digest = hashlib.sha256()
    monitor = Monitor(CONFIG)
    batch: list[dict[str, Any]] = []
    for event in stream():
        batch.append(validate(event))
        if len(batch) == 2000:
            _feed(digest, monitor, batch)
            batch = []
    _feed(digest, monitor, batch)
    return digest.hexdigest()


def _feed(digest: Any, monitor: Monitor, batch: list[dict[str, Any]]) -> None:
    for record in monitor.observe(batch):
        if record.get("kind") == "reference":
            record = {k: v for k, v in record.items() if k != "profile"}
        digest.update(orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n")


def write_stream(path: Path) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in stream()))
    return path


def test_replay_output_is_pinned(tmp_path: Path) -> None:
    expected = (GOLDEN / "replay_pinned.jsonl").read_text()
    got = replay_output(write_stream(tmp_path / "events.jsonl"))
    assert got.count("\n") > 10 and '"retrain"' in got and '"prompt_rollback"' in got
    assert got == expected


def test_every_output_record_is_pinned() -> None:
    assert all_records_digest() == (GOLDEN / "records_pinned.sha256").read_text().strip()


if __name__ == "__main__" and sys.argv[1:] == ["--regenerate"]:
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        text = replay_output(write_stream(Path(tmp) / "events.jsonl"))
    (GOLDEN / "replay_pinned.jsonl").write_text(text)
    (GOLDEN / "records_pinned.sha256").write_text(all_records_digest() + "\n")
    print(f"wrote {GOLDEN}: {text.count(chr(10))} replay lines")
