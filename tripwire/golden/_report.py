"""Output of a golden run: a table or JSON lines on stdout, and the record on Kafka."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["print_json", "print_table", "publish", "summary"]


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The record without its cases (the JSON summary line)."""
    return {**{k: v for k, v in record.items() if k != "cases"}, "kind": "summary"}


def print_json(record: dict[str, Any], args: argparse.Namespace) -> None:
    for case in record["cases"]:
        print(json.dumps({"kind": "case", **case}), flush=False)
    print(json.dumps(summary(record)), flush=True)


def _num(value: Any, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def print_table(record: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"golden set {args.set} · app {record['app']} · version {record['prompt_version']} "
          f"· model {record['llm_model']}")
    print(f"{'case':<24} {'result':<6} {'grounded':>8} {'latency ms':>10} {'cost $':>10}  "
          "failed")
    for c in record["cases"]:
        why = ", ".join(c["failed"]) + (f" ({c['error']})" if c["error"] else "")
        print(f"{c['id'][:24]:<24} {'pass' if c['passed'] else 'FAIL':<6} "
              f"{_num(c['groundedness'], '.2f'):>8} {_num(c['latency_ms'], ',.0f'):>10} "
              f"{c['cost_usd']:>10.6f}  {why}")
    verdict = "PASS" if record["passed"] else "FAIL"
    print(f"{record['prompt_version']}: {record['n_passed']}/{record['n_cases']} passed "
          f"({record['pass_rate']:.0%}, needs {record['min_pass_rate']:.0%}) · {verdict} · "
          f"cost ${record['cost_usd']:.6f} · p95 latency "
          f"{_num(record['latency_ms_p95'], ',.0f')} ms · groundedness "
          f"{_num(record['groundedness_mean'], '.2f')}", flush=True)


def publish(record: dict[str, Any], bootstrap: str, timeout_s: float = 5.0) -> bool:
    """Send the record to ``tripwire.golden`` (key = app); a warning on stderr, not an error,
    when the broker cannot be reached: the verdict stands either way."""
    from tripwire_sdk.names import GOLDEN

    try:
        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers=bootstrap, max_block_ms=int(timeout_s * 1e3),
                                 request_timeout_ms=int(timeout_s * 1e3), acks="all")
        try:
            producer.send(GOLDEN, key=record["app"].encode(),
                          value=json.dumps(record).encode()).get(timeout=timeout_s)
        finally:
            producer.close(timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - any broker trouble is a warning here
        print(f"warning: golden run not published to {GOLDEN} at {bootstrap} "
              f"({type(exc).__name__}); pass --no-publish to skip", file=sys.stderr)
        return False
    return True
