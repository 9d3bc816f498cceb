"""The monitor: events in, signals / alert state changes / triggers out — in event time.

The Faust worker and ``tripwire replay`` both drive this one class, so what replay reports is
what the worker would have fired. It holds no clock, no I/O and no Faust: ``observe`` takes a
batch of validated events (schema v1) and returns records in the shapes of
``docs/contracts.md`` (plus ``"kind": "signal"`` on signals and ``"kind": "reference"`` when a
model version's reference profile is complete).
"""

from __future__ import annotations

import logging
from typing import Any

from detectors.budget import BudgetTracker
from detectors.rollback import PromptVersionComparator
from detectors.rules import RuleEngine, TriggerPolicy
from streams.monitor._app import AppMonitor, Enricher
from streams.monitor._config import MonitorConfig
from streams.monitor._model import ModelMonitor

__all__ = ["Monitor"]

log = logging.getLogger("tripwire.monitor")


class Monitor:
    """All models and apps of one worker (the partitions it owns)."""

    def __init__(self, config: MonitorConfig | None = None) -> None:
        self.config = config or MonitorConfig()
        self.rules = RuleEngine(self.config.all_rules())
        self.retrain = TriggerPolicy("retrain", cooldown_s=self.config.retrain_cooldown_s,
                                     metrics=self.config.retrain_on)
        self.rollback = TriggerPolicy("prompt_rollback",
                                      cooldown_s=self.config.rollback_cooldown_s)
        self.budgets = BudgetTracker(self.config.budgets)
        self.comparator = PromptVersionComparator()
        self.models: dict[str, ModelMonitor] = {}
        self.apps: dict[str, AppMonitor] = {}
        self._enricher: Enricher | None = None
        self._evidence: dict[tuple[str, str], dict[str, Any]] = {}
        self._judge_windows: dict[tuple[str, str], list[float]] = {}
        self.counters = {"events": 0, "signals": 0, "alerts": 0, "triggers": 0, "verdicts": 0}

    def __getstate__(self) -> dict[str, Any]:
        """Picklable state for snapshots; the enricher (tokenizer, price tables) is rebuilt."""
        state = dict(self.__dict__)
        state["_enricher"] = None
        return state

    @classmethod
    def from_settings(cls, settings: Any) -> Monitor:
        return cls(MonitorConfig.from_settings(settings.monitoring,
                                               judge_window=settings.judge.window))

    # -- enrichment ----------------------------------------------------------------------------
    def enrich_llm(self, event: dict[str, Any]) -> dict[str, Any]:
        """Tokens, cost and groundedness of one LLM event (cached on the event)."""
        if "_enrich" not in event:
            if self._enricher is None:
                self._enricher = Enricher(self.config)
            event["_enrich"] = self._enricher(event)
        return event["_enrich"]

    @property
    def unknown_price_models(self) -> set[str]:
        return set(self._enricher.unknown_models) if self._enricher else set()

    # -- events --------------------------------------------------------------------------------
    def observe(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Feed validated events in order; return every output record they cause, in order."""
        out: list[dict[str, Any]] = []
        for event in events:
            self.counters["events"] += 1
            kind = event["type"]
            if kind == "prediction":
                self._after_model(event["model"], self._model(event["model"])
                                  .observe_prediction(event), out)
            elif kind == "label":
                self._after_model(event["model"], self._model(event["model"])
                                  .observe_label(event), out)
            elif kind == "llm":
                self._observe_llm(event, out)
        return out

    def observe_verdict(self, verdict: dict[str, Any]) -> list[dict[str, Any]]:
        """Count one LLM-judge verdict (app, prompt_version, grounded, ts); every
        ``judge_window`` verdicts of a prompt version give a ``judge.hallucination_rate``."""
        self.counters["verdicts"] += 1
        key = (verdict["app"], verdict["prompt_version"])
        window = self._judge_windows.setdefault(key, [0, 0, float("inf"), float("-inf")])
        ts = float(verdict["ts"])
        window[0] += 1
        window[1] += not verdict["grounded"]
        window[2], window[3] = min(window[2], ts), max(window[3], ts)
        if window[0] < self.config.judge_window:
            return []
        del self._judge_windows[key]
        signal = {"kind": "signal", "entity_type": "app", "entity": key[0],
                  "metric": "judge.hallucination_rate", "dimension": key[1],
                  "value": window[1] / window[0], "threshold": None, "n": window[0],
                  "window_start": window[2], "window_end": window[3], "ts": window[3]}
        out = [signal]
        self._evaluate([signal], out)
        return out

    def set_reference(self, model: str, version: str, profile: Any) -> None:
        """Install a prebuilt reference profile (from the store or ``tripwire reference set``)."""
        self._model(model).set_reference(version, profile)

    def _model(self, name: str) -> ModelMonitor:
        monitor = self.models.get(name)
        if monitor is None:
            monitor = self.models[name] = ModelMonitor(name, self.config)
        return monitor

    def _after_model(self, model: str, records: list[dict[str, Any]],
                     out: list[dict[str, Any]]) -> None:
        if not records:
            return
        out.extend(records)
        changed = self._evaluate(records, out)
        if changed:
            ts = max(float(r["ts"]) for r in records)
            firing = self.rules.firing(model)
            trigger = self.retrain.decide("model", model, ts, firing)
            if trigger:
                decay = self._evidence.get((model, "accuracy.decay"), {})
                trigger["reason"] = [_describe(r, decay) for r in trigger["reason"]]
                self._emit_trigger(trigger, out)

    def _observe_llm(self, event: dict[str, Any], out: list[dict[str, Any]]) -> None:
        app = event["app"]
        monitor = self.apps.get(app)
        if monitor is None:
            monitor = self.apps[app] = AppMonitor(app, self.config, self.budgets,
                                                  self.comparator)
        records, verdict = monitor.observe(event, self.enrich_llm(event))
        for record in records:
            if record.get("kind") == "alert":  # budgets raise alerts directly
                self.counters["alerts"] += 1
        out.extend(records)
        self._evaluate([r for r in records if r.get("kind") == "signal"], out)
        if verdict:
            evidence = dict(verdict)
            trigger = self.rollback.decide("app", app, float(event["ts"]),
                                           self.rules.firing(app), evidence=evidence)
            if trigger:
                self._emit_trigger(trigger, out)

    def _evaluate(self, records: list[dict[str, Any]], out: list[dict[str, Any]]) -> bool:
        """Run signals through the rules; append alert changes; True when any alert changed."""
        changed = False
        for record in records:
            if record.get("kind") != "signal":
                continue
            self.counters["signals"] += 1
            if record.get("evidence"):
                self._evidence[(record["entity"], record["metric"])] = record["evidence"]
            for alert in self.rules.observe(record):
                if record.get("evidence"):
                    alert["evidence"]["signal"] = record["evidence"]
                out.append(alert)
                self.counters["alerts"] += 1
                changed = True
        return changed

    def _emit_trigger(self, trigger: dict[str, Any], out: list[dict[str, Any]]) -> None:
        out.append(trigger)
        self.counters["triggers"] += 1
        log.info("trigger %s for %s: %s", trigger["type"], trigger["entity"],
                    "; ".join(trigger["reason"]))


def _describe(reason: str, decay: dict[str, Any]) -> str:
    """Spell out an ``accuracy.decay`` reason with the accuracies and the test's p-value."""
    if not reason.startswith("accuracy.decay") or decay.get("current") is None:
        return reason
    p = decay.get("p_value")
    p_text = f", p={p:.2g}" if p is not None else ""
    return f"accuracy.decay: {decay['current']:.3f} vs reference {decay['reference']:.3f}{p_text}"
