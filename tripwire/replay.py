"""``tripwire replay``: run recorded events through the worker's monitor, in event time.

File order is processing order; event time (``ts``) drives every window, rule and cooldown, so
the same file and config always give the same output. Invalid lines are reported on stderr
(line number and reason) and skipped, like the worker's dead letter.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
from tripwire_sdk.events import EventError, Limits, validate

from streams.monitor import Monitor

__all__ = ["replay", "iter_events", "alert_line", "signal_line", "trigger_line"]


def iter_events(path: Path, limits: Limits, errors: IO[str],
                counts: Counter[str]) -> Iterator[dict[str, Any]]:
    """Valid events of a JSONL file; bad lines are reported and counted as ``invalid``."""
    opener = _open_gz if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                event = validate(orjson.loads(line), limits)
            except (orjson.JSONDecodeError, EventError) as exc:
                counts["invalid"] += 1
                reason = getattr(exc, "reason", None) or f"invalid JSON ({exc})"
                if counts["invalid"] <= 20:
                    print(f"line {number}: skipped: {reason}", file=errors)
                continue
            counts["events"] += 1
            yield event


def _open_gz(path: Path, mode: str) -> Any:
    import gzip
    return gzip.open(path, mode)


def alert_line(record: dict[str, Any]) -> dict[str, Any]:
    """The JSON line of an alert state change."""
    return {"kind": "alert", "entity": record["entity"], "metric": record["metric"],
            "state": record["state"], "ts": record["ts"], "value": record["value"],
            "dimension": record.get("dimension", ""), "severity": record.get("severity"),
            "threshold": record.get("threshold")}


def signal_line(record: dict[str, Any]) -> dict[str, Any]:
    """The JSON line of a signal (``--signals``)."""
    line = {"kind": "signal", "entity": record["entity"], "metric": record["metric"],
            "dimension": record.get("dimension", ""), "value": record["value"],
            "ts": record["ts"], "window_start": record["window_start"],
            "window_end": record["window_end"], "threshold": record.get("threshold"),
            "n": record.get("n"), "entity_type": record.get("entity_type")}
    if "model_version" in record:
        line["model_version"] = record["model_version"]
    return line


def trigger_line(record: dict[str, Any]) -> dict[str, Any]:
    """The JSON line of a trigger."""
    line = {"kind": "trigger", "type": record["type"], "entity": record["entity"],
            "ts": record["ts"], "reason": list(record["reason"]),
            "trigger_id": record["trigger_id"]}
    if record["type"] == "prompt_rollback":
        line["from_version"], line["to_version"] = record["from_version"], record["to_version"]
    if "suggested_reference" in record.get("evidence", {}):
        line["suggested_reference"] = record["evidence"]["suggested_reference"]
    return line


def _human(line: dict[str, Any]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(line["ts"]))
    if line["kind"] in ("alert", "signal"):
        dim = f"[{line['dimension']}]" if line["dimension"] else ""
        if line["kind"] == "signal":
            return f"{when}  SIGNAL {line['entity']} {line['metric']}{dim} = {line['value']:.4g}"
        return (f"{when}  ALERT {line['state']:<8} {line['entity']} {line['metric']}{dim} "
                f"= {line['value']:.4g}")
    extra = f" {line['from_version']} -> {line['to_version']}" if "to_version" in line else ""
    return f"{when}  TRIGGER {line['type']}{extra} {line['entity']}: {'; '.join(line['reason'])}"


def replay(path: Path, monitor: Monitor, limits: Limits, as_json: bool, out: IO[str] = sys.stdout,
           err: IO[str] = sys.stderr, batch: int = 2000, signals: bool = False) -> dict[str, int]:
    """Replay ``path``; print one line per alert change and trigger (and per signal with
    ``signals``); return counts."""
    counts: Counter[str] = Counter()
    started = time.monotonic()
    chunk: list[dict[str, Any]] = []
    next_progress = 100_000
    for event in iter_events(path, limits, err, counts):
        chunk.append(event)
        if len(chunk) >= batch:
            _emit(monitor.observe(chunk), as_json, out, counts, signals)
            chunk = []
            if counts["events"] >= next_progress:
                next_progress += 100_000
                print(f"replay: {counts['events']:,} events, {counts['alerts']} alert changes, "
                      f"{counts['triggers']} triggers", file=err, flush=True)
    _emit(monitor.observe(chunk), as_json, out, counts, signals)
    elapsed = time.monotonic() - started
    print(f"replay: done, {counts['events']:,} events ({counts['invalid']} invalid lines "
          f"skipped), {counts['alerts']} alert changes, {counts['triggers']} triggers "
          f"in {elapsed:.1f}s", file=err, flush=True)
    unknown = monitor.unknown_price_models
    if unknown:
        print(f"replay: no price known for {sorted(unknown)}; priced by the unknown-model rule "
              "(set monitoring.prices in tripwire.yaml)", file=err)
    return dict(counts)


def _emit(records: list[dict[str, Any]], as_json: bool, out: IO[str],
          counts: Counter[str], signals: bool = False) -> None:
    for record in records:
        kind = record.get("kind")
        if kind == "signal" and signals:
            line = signal_line(record)
            counts["signals"] += 1
        elif kind == "alert":
            line = alert_line(record)
            counts["alerts"] += 1
        elif kind == "trigger":
            line = trigger_line(record)
            counts["triggers"] += 1
        else:
            continue
        out.write(orjson.dumps(line).decode() + "\n" if as_json else _human(line) + "\n")
    out.flush()
