"""In-process cost per prediction of the model monitor, and of its CBPE estimator and
``drift.burst`` scan.

``ModelMonitor`` (the object the worker drives) is fed ``n`` predictions with 20 numeric
features and a score, each labelled 600 predictions later (60 s at 10 predictions/s), in
batches of 500 events as the worker gets them (predictions in bulk, then labels). The calls
it makes to the version's ``PerformanceEstimator`` and ``MeanShiftBurst`` are recorded, then
replayed alone against fresh objects and timed: ``estimator_us_per_prediction`` and
``burst_us_per_prediction`` are those times over ``n`` (medians of ``repeats``), free of the
noise of the rest of the monitor. ``monitor_us_per_prediction`` times the whole monitor (with
the recording wrappers, so slightly high). Times are this process's CPU time
(``time.process_time``), less disturbed than wall time when other work shares the cores.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from detectors.drift import MeanShiftBurst
from detectors.performance import PerformanceEstimator
from streams.monitor import ModelMonitor, MonitorConfig

__all__ = ["bench_monitor", "bench_state"]


class _Recorder:
    """Stands in for an object and records (method, args) of every call, then forwards."""

    def __init__(self, target: Any, calls: list[tuple[str, tuple]]) -> None:
        self._target, self._calls = target, calls

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._target, name)
        if not callable(method):
            return method

        def call(*args: Any) -> Any:
            self._calls.append((name, args))
            return method(*args)
        return call


def _events(n: int, features: int = 20, decimals: int | None = 4) -> list[dict[str, Any]]:
    rng = random.Random(1)
    out: list[dict[str, Any]] = []
    for i in range(n):
        feats = {f"f{j:02d}": (rng.gauss(0.0, 1.0) if decimals is None
                               else round(rng.gauss(0.0, 1.0), decimals))
                 for j in range(features)}
        score = round(rng.random(), 4)
        out.append({"type": "prediction", "ts": 1.7e9 + i / 10, "model": "m",
                    "model_version": "v1", "prediction_id": f"p{i}", "features": feats,
                    "prediction": int(score >= 0.5), "score": score})
        if i >= 600:
            out.append({"type": "label", "ts": 1.7e9 + i / 10, "model": "m",
                        "prediction_id": f"p{i - 600}", "label": int(rng.random() < 0.9)})
    return out


def _record(events: list[dict[str, Any]],
            batch: int = 500) -> tuple[float, list, list, Any]:  # fmt: skip
    """Feed the monitor as the worker does: batches of ``batch`` events, each batch's
    predictions as one run (they come in the SDK's per-model messages on their own topic), then
    its labels (their own topic)."""
    monitor = ModelMonitor("m", MonitorConfig())
    est_calls: list[tuple[str, tuple]] = []
    burst_calls: list[tuple[str, tuple]] = []
    started = time.process_time()
    for b in range(0, len(events), batch):
        chunk = events[b:b + batch]
        for _ in monitor.observe_predictions([e for e in chunk if e["type"] == "prediction"]):
            pass
        for event in chunk:
            if event["type"] == "label":
                monitor.observe_label(event)
        state = monitor.versions.get("v1")
        if state is not None and not isinstance(state.estimator, _Recorder):
            state.estimator = _Recorder(state.estimator, est_calls)  # type: ignore
        if state is not None and state.burst is not None and \
                not isinstance(state.burst, _Recorder):
            state.burst = _Recorder(state.burst, burst_calls)  # type: ignore
    elapsed = time.process_time() - started
    burst = monitor.versions["v1"].burst
    return elapsed, est_calls, burst_calls, burst._target.to_state()  # type: ignore


def _replay(target: Any, calls: list[tuple[str, tuple]]) -> float:
    bound = [(getattr(target, name), args) for name, args in calls]
    started = time.process_time()
    for method, args in bound:
        method(*args)
    return time.process_time() - started


def bench_monitor(n: int = 50_000, repeats: int = 5) -> dict[str, Any]:
    """Microseconds per prediction: the monitor, and the estimator's and burst's share."""
    events = _events(n)
    whole, est, burst = [], [], []
    for _ in range(repeats):
        elapsed, est_calls, burst_calls, burst_state = _record(events)
        whole.append(elapsed)
        est.append(_replay(PerformanceEstimator(), est_calls))
        fresh = MeanShiftBurst.from_state(burst_state)
        fresh.sums[:] = fresh.counts[:] = 0.0
        fresh.filled = fresh.cursor = 0
        burst.append(_replay(fresh, burst_calls))
    per = {k: round(statistics.median(v) / n * 1e6, 2)
           for k, v in (("monitor", whole), ("estimator", est), ("burst", burst))}
    return {"monitor_predictions": n, "monitor_us_per_prediction": per["monitor"],
            "estimator_us_per_prediction": per["estimator"],
            "burst_us_per_prediction": per["burst"]}


def bench_state(n: int = 50_000) -> dict[str, Any]:
    """Bytes of one model's checkpoint record (what moves with its partition: drift windows
    and reference, label join, estimator, rules, triggers), encoded as the worker writes it,
    after ``n`` predictions with 20 and with 40 numeric features (each labelled 600 later).
    ``state_bytes_per_model_feature`` is the growth per added feature; the rest is per model
    (the pending label join, the estimator's calibration, rule and trigger state). Features
    carry 4 decimals; ``..._full_precision`` is the same with unrounded floats (a reference
    profile's values then cannot be stored as small integer steps)."""
    from streams.checkpoint import encode
    from streams.monitor import Monitor

    size = {}
    for width, decimals in ((20, 4), (40, 4), (20, None), (40, None)):
        monitor = Monitor()
        monitor.observe(_events(n, width, decimals))
        size[(width, decimals)] = len(encode(monitor.export(("model", "m"))))
    return {"state_bytes_per_model_20_features": size[(20, 4)],
            "state_bytes_per_model_40_features": size[(40, 4)],
            "state_bytes_per_model_feature": round((size[(40, 4)] - size[(20, 4)]) / 20),
            "state_bytes_per_model_feature_full_precision":
                round((size[(40, None)] - size[(20, None)]) / 20)}
