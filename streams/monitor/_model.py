"""Per-model monitoring: reference profile, drift windows, label join and accuracy windows.

Pure and event-time driven. A model version's reference is its first ``reference_events``
predictions (or a profile set with ``tripwire reference set``); after that, every window of
``window_events`` predictions (or ``window_s`` of event time) is compared with the reference.
Labels join predictions by ``prediction_id``; every ``min_labels`` joined labels close an
accuracy window.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
from tripwire_sdk import records
from tripwire_sdk.names import PREDICTION_COLUMN

from detectors.accuracy import AccuracyWindow, DecayDetector, LabelJoin
from detectors.drift import MeanShiftBurst, ReferenceProfile, WindowChange, compare, window_means
from detectors.performance import PerformanceEstimator
from streams.monitor._calibrate import calibrated_thresholds
from streams.monitor._config import MonitorConfig
from streams.monitor._window import Window, numeric_values

__all__ = ["LatencyWindow", "ModelMonitor", "PREDICTION_COLUMN"]

_ACCURACY_METRICS = ("accuracy", "precision", "recall", "f1", "logloss", "auc", "mae", "rmse",
                     "label.coverage", "label.latency_s")


def _signal(model: str, metric: str, dimension: str, value: float, threshold: float | None,
            n: int, start: float, end: float) -> dict[str, Any]:
    return records.signal("model", model, metric, dimension, value, threshold, n, start,  # type: ignore[return-value]
                          end)


class LatencyWindow:
    """``latency_ms`` of one model version's predictions, in windows of event time.

    A window closes after ``size`` latencies, or after ``window_s`` of event time once it holds
    ``min_events``; :meth:`add` then returns ``{"p50", "p95", "p99", "n", "start", "end"}``.
    State: at most ``size`` floats plus two timestamps (``to_state`` / ``from_state``).
    """

    STATE_VERSION = 1

    def __init__(self, size: int, window_s: float | None = None, min_events: int = 1) -> None:
        self.size, self.window_s, self.min_events = int(size), window_s, int(min_events)
        self.values: list[float] = []
        self.start: float | None = None
        self.end: float | None = None

    def add(self, latency_ms: float, ts: float) -> dict[str, Any] | None:
        """Count one latency; the closed window's percentiles, or None."""
        self.values.append(float(latency_ms))
        self.start = ts if self.start is None else min(self.start, ts)
        self.end = ts if self.end is None else max(self.end, ts)
        n = len(self.values)
        timed_out = bool(self.window_s) and n >= self.min_events and \
            ts - self.start >= self.window_s  # type: ignore[operator]
        if n < self.size and not timed_out:
            return None
        p50, p95, p99 = np.percentile(self.values, [50, 95, 99])
        out: dict[str, Any] = {"p50": float(p50), "p95": float(p95), "p99": float(p99),
                               "n": n, "start": float(self.start), "end": float(self.end)}
        self.values, self.start, self.end = [], None, None
        return out

    def to_state(self) -> dict[str, Any]:
        return {"version": self.STATE_VERSION, "size": self.size, "window_s": self.window_s,
                "min_events": self.min_events, "values": list(self.values),
                "start": self.start, "end": self.end}

    @classmethod
    def from_state(cls, state: dict[str, Any], **ctor_args: Any) -> LatencyWindow:
        if state.get("version") != cls.STATE_VERSION:
            raise ValueError(f"LatencyWindow state version {state.get('version')!r} is not "
                             f"{cls.STATE_VERSION}: start a fresh window")
        window = cls(ctor_args.get("size", state["size"]),
                     ctor_args.get("window_s", state["window_s"]),
                     ctor_args.get("min_events", state["min_events"]))
        window.values = [float(v) for v in state["values"]]
        window.start, window.end = state["start"], state["end"]
        return window


class _Version:
    """State of one (model, model_version)."""

    def __init__(self) -> None:
        self.profile: ReferenceProfile | None = None
        self.reference = Window()
        self.window = Window()
        self.change = WindowChange()
        self.thresholds: dict[str, dict[str, Any]] | None = None  # noise-calibrated
        self.burst: MeanShiftBurst | None = None  # built from the profile on first use
        self.estimator = PerformanceEstimator()  # label-free performance (CBPE)

    def to_state(self) -> dict[str, Any]:
        return {"profile": self.profile.to_state() if self.profile else None,
                "reference": self.reference.to_state(), "window": self.window.to_state(),
                "change": self.change.to_state(), "thresholds": self.thresholds,
                "burst": self.burst.to_state() if self.burst else None,
                "estimator": self.estimator.to_state()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _Version:
        out = cls()
        profile = state["profile"]
        out.profile = ReferenceProfile.from_state(profile) if profile else None
        out.reference = Window.from_state(state["reference"])
        out.window = Window.from_state(state["window"])
        out.change = WindowChange.from_state(state["change"])
        out.thresholds = state["thresholds"]
        burst = state.get("burst")
        out.burst = MeanShiftBurst.from_state(burst) if burst else None
        if "estimator" in state:
            out.estimator = PerformanceEstimator.from_state(state["estimator"])
        return out


class ModelMonitor:
    """Drift and accuracy of one model; ``observe_*`` return signal/reference records."""

    def __init__(self, model: str, config: MonitorConfig) -> None:
        self.model = model
        self.config = config
        overrides = config.for_model(model)
        self.window_events = overrides.window_events or config.window_events
        self.reference_events = overrides.reference_events or config.reference_events
        self.burst_events = max(self.window_events // 4, 50)
        self.per_column = {**{k: {"method": v} for k, v in config.drift_method.items()},
                           **overrides.features}
        self.versions: dict[str, _Version] = {}
        self.default_profile: ReferenceProfile | None = None
        self.join = LabelJoin(ttl_s=config.label_ttl_s)
        self.accuracy = AccuracyWindow(task=overrides.task)
        self.pairs: list[dict[str, Any]] = []
        self.decay: DecayDetector | None = None  # created once the task is known
        self.decay_version: str | None = None
        self.last_ts = -math.inf
        self.latency: dict[str, LatencyWindow] = {}  # per model version

    def to_state(self) -> dict[str, Any]:
        """Plain data (see the classes' own ``to_state``). Size: per version the reference
        profile (up to ~10k values per numeric feature) and the open window's rows; the label
        join's pending predictions (~60 bytes each) dominate at high volume."""
        return {
            "versions": [[name, v.to_state()] for name, v in self.versions.items()],
            "default_profile": self.default_profile.to_state() if self.default_profile else None,
            "join": self.join.to_state(), "accuracy": self.accuracy.to_state(),
            "pairs": list(self.pairs), "decay": self.decay.to_state() if self.decay else None,
            "decay_version": self.decay_version, "last_ts": self.last_ts,
            "latency": [[v, w.to_state()] for v, w in self.latency.items()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], model: str, config: MonitorConfig) -> ModelMonitor:
        out = cls(model, config)
        out.versions = {name: _Version.from_state(v) for name, v in state["versions"]}
        default = state["default_profile"]
        out.default_profile = ReferenceProfile.from_state(default) if default else None
        out.join = LabelJoin.from_state(state["join"])
        out.accuracy = AccuracyWindow.from_state(state["accuracy"])
        out.pairs = list(state["pairs"])
        out.decay = DecayDetector.from_state(state["decay"]) if state["decay"] else None
        out.decay_version, out.last_ts = state["decay_version"], state["last_ts"]
        out.latency = {v: LatencyWindow.from_state(w) for v, w in state.get("latency", [])}
        return out

    def forget_calibration(self) -> None:
        """Recompute the noise-calibrated drift thresholds (and the burst detector built with
        the window size) at the next window, after a change of the monitoring settings."""
        for version in self.versions.values():
            version.thresholds = version.burst = None

    # -- predictions ----------------------------------------------------------------------
    def set_reference(self, version: str, profile: ReferenceProfile) -> None:
        """Use a prebuilt reference profile for ``version`` (replaces the collected one);
        version ``""`` is the default for every version without its own."""
        if version == "":
            self.default_profile = profile
            for state in self.versions.values():
                if state.profile is None:
                    state.profile, state.reference = profile, Window()
                    state.thresholds = state.burst = None
            return
        state = self.versions.setdefault(version, _Version())
        state.profile, state.thresholds, state.burst = profile, None, None

    def observe_predictions(self, events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """:meth:`observe_prediction` for a run of this model's predictions, in order: the
        non-empty output lists, one per event that caused any. Events between two points
        where something can happen (a window or a burst slot completes, the version changes, a
        label was waiting, a latency) are added in bulk."""
        if self.config.window_s:
            return [r for r in map(self.observe_prediction, events) if r]
        out: list[list[dict[str, Any]]] = []
        i, n = 0, len(events)
        raw_versions = [e.get("model_version") for e in events]
        while i < n:
            raw = raw_versions[i]
            version = str(raw or "")
            state = self.versions.get(version)
            if state is None or state.profile is None:
                records = self.observe_prediction(events[i])
                if records:
                    out.append(records)
                i += 1
                continue
            room = min(self.window_events - state.window.n,
                       self.burst_events - state.window.n % self.burst_events, n - i)
            end = i + room
            if (raw is None or type(raw) is str) and \
                    raw_versions[i + 1:end].count(raw) == end - i - 1:
                j = end  # the common case, at C speed: the run shares the first's version
            else:
                j = i + 1
                while j < end and str(raw_versions[j] or "") == version:
                    j += 1
            i = self._bulk(events, i, j, version, state, out)
        return out

    def _bulk(self, events: list[dict[str, Any]], i: int, j: int, version: str,
              state: _Version, out: list[list[dict[str, Any]]]) -> int:
        """Events ``i..j`` (one version, no boundary before the last): join each, add all to
        the window; stop after an event whose label was waiting (it goes alone). Returns where
        the next run starts."""
        if self.join.labels_waiting:
            waiting = self.join.label_waiting
            for k in range(i, j):
                e = events[k]
                if e.get("latency_ms") is not None or waiting(e.get("prediction_id")):
                    j = k
                    break
        else:
            latencies = [e.get("latency_ms") for e in events[i:j]]
            if latencies.count(None) != j - i:
                j = i + next(k for k, v in enumerate(latencies) if v is not None)
        if j > i:
            run = events[i:j]
            self.join.add_predictions(run, self.model)  # no label waits for these: none joins
            stamps = [float(e["ts"]) for e in run]
            low, high = min(stamps), max(stamps)
            self.last_ts = max(self.last_ts, high)
            self.accuracy.add_prediction(j - i)
            state.window.extend(run, low, high)
            state.estimator.add_predictions([e.get("score") for e in run], stamps[0])
            group: list[dict[str, Any]] = []  # the outputs of the run's last event
            if state.window.n % self.burst_events == 0:
                group += self._burst(version, state, stamps[-1])
            if self._window_closes(state.window, stamps[-1]):
                group += self._close_drift_window(version, state)
            if group:
                out.append(group)
            return j
        records = self.observe_prediction(events[i])
        if records:
            out.append(records)
        return i + 1

    def observe_prediction(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        version = str(event.get("model_version") or "")
        state = self.versions.get(version)
        if state is None:
            state = self.versions[version] = _Version()
            state.profile = self.default_profile
        self.last_ts = max(self.last_ts, float(event["ts"]))
        self.accuracy.add_prediction()
        slim = {"prediction_id": event.get("prediction_id"), "ts": event["ts"],
                "prediction": event.get("prediction"), "score": event.get("score"),
                "model": event.get("model"), "model_version": event.get("model_version")}
        out = self._joined(self.join.add_prediction(slim))
        if event.get("latency_ms") is not None:
            out += self._latency(version, float(event["latency_ms"]), float(event["ts"]))
        if state.profile is None:
            state.reference.add(event)
            if state.reference.n >= self.reference_events:
                out += self._build_reference(version, state)
            return out
        state.window.add(event)
        state.estimator.add_prediction(event.get("score"), float(event["ts"]))
        if state.window.n % self.burst_events == 0:
            out += self._burst(version, state, float(event["ts"]))
        if self._window_closes(state.window, float(event["ts"])):
            out += self._close_drift_window(version, state)
        return out

    def _latency(self, version: str, latency_ms: float, ts: float) -> list[dict[str, Any]]:
        """``latency_ms.p50/p95/p99`` of a model version (dimension = version) per window."""
        window = self.latency.get(version)
        if window is None:
            window = self.latency[version] = LatencyWindow(
                self.window_events, self.config.window_s, self.config.min_window_events)
        closed = window.add(latency_ms, ts)
        if closed is None:
            return []
        out = [_signal(self.model, f"latency_ms.{q}", version, closed[q], None, closed["n"],
                       closed["start"], closed["end"]) for q in ("p50", "p95", "p99")]
        for record in out:
            record["model_version"] = version
        return out

    def _window_closes(self, window: Window, ts: float) -> bool:
        if window.n >= self.window_events:
            return True
        limit = self.config.window_s
        return bool(limit) and window.n >= self.config.min_window_events and \
            ts - window.start >= limit  # type: ignore[operator]

    def _build_reference(self, version: str, state: _Version) -> list[dict[str, Any]]:
        ref = state.reference
        every = {**ref.columns, PREDICTION_COLUMN: list(ref.predictions)}
        columns = {k: v for k, v in every.items() if any(x is not None for x in v)}
        state.profile = ReferenceProfile.from_columns(_coerce_columns(columns))
        state.reference = Window()
        return [{"kind": "reference", "entity_type": "model", "entity": self.model,
                 "model_version": version, "window_start": ref.start, "window_end": ref.end,
                 "n": ref.n, "profile": state.profile, "ts": ref.end}]

    def _close_drift_window(self, version: str, state: _Version) -> list[dict[str, Any]]:
        window, state.window = state.window, Window()
        profile = state.profile
        assert profile is not None
        current = _aligned(profile, window)
        if state.thresholds is None:
            state.thresholds = calibrated_thresholds(
                profile, self.window_events, self._per_column(profile),
                seed=f"{self.model}|{version}")
        per_column = {**state.thresholds, **self._per_column(profile)}
        result = compare(profile, current, per_column=per_column,
                         drift_share=self.config.drift_share)
        start, end, n = window.start, window.end, window.n
        out = []
        drifted = evaluated = 0
        for name, col in result["columns"].items():
            out.append(_signal(self.model, f"drift.{col['method']}", name, col["statistic"],
                               col["threshold"], col["n"], start, end))
            out.append(_signal(self.model, "missing.share", name, col["missing_share"], None,
                               n, start, end))
            if col["kind"] == "categorical":
                out.append(_signal(self.model, "unseen.share", name, col["unseen_share"],
                                   None, n, start, end))
            evaluated += col["n"] > 0
            drifted += bool(col["drifted"]) and col["n"] > 0
        share = drifted / evaluated if evaluated else 0.0
        out.append(_signal(self.model, "drift.share", "", share, self.config.drift_share, n,
                           start, end))
        changed = state.change.update(window_means(profile, current)).drifted
        out.append(_signal(self.model, "drift.change", "", len(changed), None, n, start, end))
        out += self._estimated(state, window)
        for record in out:
            record["model_version"] = version
        return out

    def _burst(self, version: str, state: _Version, ts: float) -> list[dict[str, Any]]:
        """``drift.burst`` of the last quarter window: see ``detectors.drift.MeanShiftBurst``."""
        if state.burst is None:
            assert state.profile is not None
            state.burst = MeanShiftBurst.from_profile(state.profile, self.burst_events,
                                                      skip=(PREDICTION_COLUMN,),
                                                      share=self.config.drift_share)
        if not state.burst.usable:
            return []
        last = min(self.burst_events, state.window.n)
        value, threshold, names, start = state.burst.update_matrix(
            state.window.tail_matrix(last, state.burst.names), state.window.start, ts)
        record = _signal(self.model, "drift.burst", "", value, threshold, last, start, ts)
        record["model_version"] = version
        if names:
            record["evidence"] = {"features": names}
        return [record]

    def _estimated(self, state: _Version, window: Window) -> list[dict[str, Any]]:
        """``estimated.*`` of a closing drift window (CBPE, see detectors.performance)."""
        return [self._from_estimator(o) for o in
                state.estimator.close_window(window.predictions, window.start, window.end)]

    def _from_estimator(self, output: tuple) -> dict[str, Any]:
        metric, value, threshold, n, start, end, ts = output
        return records.signal("model", self.model, metric, "", value, threshold, n,  # type: ignore[return-value]
                              start, end, ts)

    def _per_column(self, profile: ReferenceProfile) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.per_column.items() if k in profile.columns}

    # -- labels -------------------------------------------------------------------------------
    def observe_label(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        self.last_ts = max(self.last_ts, float(event["ts"]))
        out = self._joined(self.join.add_label(event))
        self.join.expire(self.last_ts)
        return out

    def _joined(self, pair: dict[str, Any] | None) -> list[dict[str, Any]]:
        if pair is None:
            return []
        out = []
        version = str(pair.get("model_version") or "")
        state = self.versions.get(version)
        if state is not None:
            out = [self._from_estimator(o) for o in state.estimator.add_label(pair)]
            for record in out:
                record["model_version"] = version
        self.accuracy.add(pair)
        self.pairs.append(pair)
        if self.accuracy.n < self.config.min_labels:
            return out
        return out + self._close_accuracy_window()

    def _close_accuracy_window(self) -> list[dict[str, Any]]:
        window, self.accuracy = self.accuracy, AccuracyWindow(task=self.accuracy.task)
        pairs, self.pairs = self.pairs, []
        metrics = window.metrics()
        version = Counter(str(p.get("model_version") or "") for p in pairs).most_common(1)[0][0]
        if self.decay is None or version != self.decay_version:
            # A new model version is judged against its own reference period, not its
            # predecessor's accuracy.
            metric = "mae" if window.infer_task() == "regression" else "accuracy"
            self.decay = DecayDetector(metric=metric, min_labels=self.config.min_labels,
                                       reference_size=max(self.config.min_labels * 5, 500))
            self.decay_version = version
        for pair in pairs:
            self.decay.update(pair)
        start = min(p["ts_label"] for p in pairs)
        end = max(p["ts_label"] for p in pairs)
        n = metrics.get("n", 0)
        out = [_signal(self.model, m, "", metrics[m], None, n, start, end)
               for m in _ACCURACY_METRICS if metrics.get(m) is not None]
        verdict = self.decay.check()
        out.append(_signal(self.model, "accuracy.decay", "", float(verdict["decay"]), 1.0, n,
                           start, end))
        out.append(_signal(self.model, "error.adwin", "", float(verdict["adwin_drift"]), None,
                           n, start, end))
        out[-2]["evidence"] = {k: verdict[k] for k in ("reference", "current", "p_value")}
        return out

    def counters(self) -> dict[str, int]:
        return dict(self.join.counters)


def _aligned(profile: ReferenceProfile, window: Window) -> dict[str, Any]:
    """Window columns for every profile column (absent = all missing), coerced to its kind;
    the prediction column is the window's predictions."""
    out: dict[str, Any] = {}
    for name, col in profile.columns.items():
        values = window.predictions if name == PREDICTION_COLUMN else None
        if col.kind == "numeric":
            out[name] = window.numeric(name) if values is None else numeric_values(values)
        else:
            out[name] = window.values(name) if values is None else list(values)
    return out


def _coerce_columns(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    out = {}
    for name, values in columns.items():
        present = [v for v in values if v is not None]
        numeric = sum(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
        # mostly numbers → numeric with stray strings as missing; otherwise text categories
        out[name] = [v if isinstance(v, int | float) and not isinstance(v, bool) else None
                       for v in values] if numeric >= 0.95 * len(present) else \
            [None if v is None else str(v) for v in values]
    return out
