"""Monitoring sub-commands: drift, replay, reference, alerts, triggers, deliver."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from tripwire.errors import ConfigError

__all__ = ["register", "read_table"]


def read_table(path: str) -> dict[str, list[Any]]:
    """Columns of a CSV or Parquet file (missing cells become None)."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{path}: no such file. Fix: pass an existing .csv or .parquet file.")
    if p.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(p)
    elif p.suffix.lower() in (".csv", ".gz", ".txt"):
        frame = pd.read_csv(p)
    else:
        raise ConfigError(f"{path}: unsupported file type {p.suffix!r}; use .csv or .parquet.")
    frame = frame.astype(object).where(frame.notna(), None)
    return {str(c): frame[c].tolist() for c in frame.columns}


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def cmd_drift(args: argparse.Namespace) -> int:
    from detectors.drift import ReferenceProfile, compare

    reference, current = read_table(args.reference), read_table(args.current)
    missing = sorted(set(reference) - set(current))
    if missing:
        raise ConfigError(f"columns {missing} are in {args.reference} but not in {args.current}."
                          " Fix: compare files with the same columns.")
    try:
        profile = ReferenceProfile.from_columns(reference)
        result = compare(profile, current, method=args.method)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if args.json:
        columns = {name: {"method": c["method"], "statistic": _clean(c["statistic"]),
                          "threshold": c["threshold"], "drifted": bool(c["drifted"])}
                   for name, c in result["columns"].items()}
        print(json.dumps({"columns": columns, "dataset_drifted": result["dataset_drifted"]}))
        return 0
    for name, c in result["columns"].items():
        flag = "DRIFT" if c["drifted"] else "ok"
        print(f"{name:<30} {c['method']:<14} {c['statistic']:>10.4g}  threshold "
              f"{c['threshold']:<6g} {flag:<5}  missing {c['missing_share']:.1%}")
    drifted = sum(c["drifted"] for c in result["columns"].values())
    print(f"dataset drifted: {result['dataset_drifted']} ({drifted}/{len(result['columns'])} "
          "columns)")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from tripwire_sdk.events import Limits

    from streams.monitor import Monitor
    from tripwire.replay import replay
    from tripwire.settings import load_settings
    from tripwire.tiktoken_cache import seed_at_startup

    path = Path(args.events)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file. Fix: pass a JSONL file of schema v1 events.")
    settings = load_settings(args.config)
    try:
        monitor = Monitor.from_settings(settings)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    seed_at_startup()  # LLM events without usage are tokenized offline
    replay(path, monitor, Limits(**settings.limits.model_dump()), args.json,
           signals=args.signals)
    return 0


def cmd_reference_set(args: argparse.Namespace) -> int:
    from tripwire.references import set_reference
    from tripwire.settings import load_settings

    settings = load_settings(args.config)
    print(set_reference(settings, args.model, args.version, read_table(args.file)))
    return 0


def cmd_alerts_test(args: argparse.Namespace) -> int:
    import asyncio

    from sinks.webhooks import from_config
    from streams.delivery import send_test
    from tripwire.settings import load_settings

    settings = load_settings(args.config)
    destinations, _ = _webhooks(from_config, settings.webhooks)
    if args.destination not in destinations:
        raise ConfigError(f"no webhook destination {args.destination!r}; configured: "
                          f"{sorted(destinations) or 'none'}. Fix: add it under "
                          "webhooks.destinations in tripwire.yaml.")
    result = asyncio.run(send_test(destinations[args.destination]))
    print(json.dumps(result))
    return 0 if result.get("ok") else 1


def _webhooks(from_config: Any, config: dict[str, Any]) -> Any:
    import os
    try:
        return from_config(config, env=os.environ)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def cmd_triggers_tail(args: argparse.Namespace) -> int:
    from kafka import KafkaConsumer
    from tripwire_sdk import names

    from tripwire.settings import load_settings

    settings = load_settings(args.config)
    consumer = KafkaConsumer(names.TRIGGERS, bootstrap_servers=settings.bootstrap,
                             auto_offset_reset="earliest" if args.from_start else "latest",
                             enable_auto_commit=False, group_id=None)
    print(f"waiting for triggers on {settings.bootstrap} (Ctrl-C to stop)", file=sys.stderr)
    try:
        for message in consumer:
            print(message.value.decode("utf-8", "replace"), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    from tripwire.delivery_main import run
    from tripwire.settings import load_settings
    return run(load_settings(args.config))


def register(sub: Any) -> None:
    """Add the monitoring sub-commands to the ``tripwire`` parser."""
    p = sub.add_parser("drift", help="offline drift of two CSV/Parquet files")
    p.add_argument("--reference", required=True, help="reference file (.csv or .parquet)")
    p.add_argument("--current", required=True, help="current file (.csv or .parquet)")
    p.add_argument("--method", help="psi, jensenshannon, wasserstein, ks or chisquare "
                   "(default: per column type)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_drift)

    p = sub.add_parser("replay", help="backtest: what would have fired on recorded events")
    p.add_argument("events", help="JSONL file of schema v1 events (.jsonl or .jsonl.gz)")
    p.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    p.add_argument("--signals", action="store_true",
                   help="also print every signal the monitor emits (drift, accuracy, "
                        "estimated.*, ...), one line each")
    p.set_defaults(func=cmd_replay)

    ref = sub.add_parser("reference", help="manage reference profiles").add_subparsers(
        dest="reference_command", required=True, metavar="ACTION")
    p = ref.add_parser("set", help="set a model version's reference from a file")
    p.add_argument("--model", required=True)
    p.add_argument("--version", default="", help="model version (default: all versions)")
    p.add_argument("file", help=".csv or .parquet with one column per feature")
    p.set_defaults(func=cmd_reference_set)

    alerts = sub.add_parser("alerts", help="alert delivery").add_subparsers(
        dest="alerts_command", required=True, metavar="ACTION")
    p = alerts.add_parser("test", help="send a signed sample alert to a destination")
    p.add_argument("destination", help="a name under webhooks.destinations")
    p.set_defaults(func=cmd_alerts_test)

    triggers = sub.add_parser("triggers", help="triggers").add_subparsers(
        dest="triggers_command", required=True, metavar="ACTION")
    p = triggers.add_parser("tail", help="print triggers as they arrive")
    p.add_argument("--from-start", action="store_true", help="also print earlier triggers")
    p.set_defaults(func=cmd_triggers_tail)

    sub.add_parser("deliver", help="run the webhook delivery worker").set_defaults(
        func=cmd_deliver)
