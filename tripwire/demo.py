"""``tripwire demo`` (``make demo``): the embedded stack plus synthetic traffic through the SDK.

A churn model whose inputs drift and whose accuracy decays after ``change_after_s`` seconds,
and a support bot whose prompt v2 (from the same moment) invents numbers and names and costs
more, against a small daily budget. Within about two minutes the UI shows drift alerts, a
``retrain`` trigger, a ``prompt_rollback`` trigger and budget alerts. A progress line shows
events sent and stored.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import yaml

from tripwire.settings import Settings, load_settings
from tripwire.stack import Stack, api_get, stop_on_signals

__all__ = ["DEMO_CONFIG", "run_demo", "send_event"]

DEMO_CONFIG: dict[str, Any] = {
    "monitoring": {
        "reference_events": 2000,
        "window_events": 1000,
        "min_labels": 200,
        "llm_window_events": 100,
        "budgets": [{"app": "support-bot", "limit_usd": 0.40, "period": "day"}],
    },
}


def _demo_settings(settings: Settings) -> Settings:
    """Write the demo's config next to its data and point every child process at it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "demo.yaml"
    path.write_text(yaml.safe_dump(DEMO_CONFIG, sort_keys=False))
    os.environ["TRIPWIRE_CONFIG"] = str(path)
    return load_settings(path)


def _traffic(rate: float, change_after_s: float, t0: float) -> Any:
    from tripwire.synth import llm_stream, merge, model_stream

    change_at = int(rate * change_after_s)
    llm_rate = max(rate / 10, 5.0)
    return merge(
        model_stream(10**8, change_at=change_at, rate=rate, t0=t0, label_delay_s=20, seed=3),
        llm_stream(10**8, v2_at=int(llm_rate * change_after_s), rate=llm_rate, t0=t0, seed=5))


def send_event(emitter: Any, event: dict[str, Any]) -> None:
    """Send one synthetic schema-v1 event through the SDK call a service would make."""
    kind = event["type"]
    if kind == "prediction":
        emitter.prediction(event["model"], event["features"], event["prediction"],
                           model_version=event["model_version"], score=event["score"],
                           prediction_id=event["prediction_id"], ts=event["ts"])
    elif kind == "label":
        emitter.label(event["model"], event["prediction_id"], event["label"], ts=event["ts"])
    else:
        emitter.llm(event["app"], event["prompt_version"], event["llm_model"], event["prompt"],
                    event["response"], context=event["context"], usage=event.get("usage"),
                    latency_ms=event["latency_ms"], feedback=event.get("feedback"),
                    user=event["user"], ts=event["ts"])


def _progress(settings: Settings, emitter: Any, started: float) -> str:
    try:
        stats = api_get(settings, "stats", timeout=2)
        triggers = api_get(settings, "triggers", timeout=2)
        alerts = api_get(settings, "alerts/open", timeout=2)
    except OSError:
        return "waiting for the worker's API ..."
    kinds = sorted({t["type"] for t in triggers})
    return (f"{time.time() - started:5.0f}s  sent {emitter.stats['sent']:>8,}  stored "
            f"pred {stats['predictions']:>7,} labels {stats['labels']:>7,} "
            f"llm {stats['llm']:>6,}  open alerts {len(alerts):>2}  "
            f"triggers {', '.join(kinds) or '-'}")


def run_demo(settings: Settings, duration_s: float = 0, rate: float = 200,
             with_ui: bool = True, change_after_s: float = 45) -> int:
    """Start the stack, send traffic until Ctrl-C (or ``duration_s``), then stop it all."""
    from tripwire_sdk import Emitter

    settings = _demo_settings(settings)
    stop_on_signals()
    stack = Stack(settings, with_ui=with_ui)
    emitter = None
    try:
        stack.start()
        stack.echo(f"demo     open http://127.0.0.1:{settings.ui_port} — drift and a v2 prompt "
                   f"regression start after {change_after_s:.0f}s; Ctrl-C stops")
        emitter = Emitter(bootstrap=settings.bootstrap, service="tripwire-demo")
        _loop(settings, stack, emitter, rate, change_after_s, duration_s)
    except KeyboardInterrupt:
        stack.echo("\nstopping ...")
    finally:
        if emitter is not None:
            emitter.close(timeout=1)  # synthetic traffic: the stop must stay within 10 s
        stack.stop()
    return 0


def _loop(settings: Settings, stack: Stack, emitter: Any, rate: float, change_after_s: float,
          duration_s: float) -> None:
    started = time.time()
    next_report = started + 2
    for event in _traffic(rate, change_after_s, t0=started):
        delay = event["ts"] - time.time()
        if delay > 0:
            time.sleep(delay)
        send_event(emitter, event)
        now = time.time()
        if now >= next_report:
            stack.check_children()
            _show(stack, _progress(settings, emitter, started))
            next_report = now + 2
        if duration_s and now - started >= duration_s:
            return


def _show(stack: Stack, line: str) -> None:
    """The progress line: rewritten in place on a terminal, one line each otherwise."""
    if sys.stdout.isatty():
        try:
            print(f"\r{line}", end="", flush=True)
            return
        except OSError:
            pass
    stack.echo(line)
