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

from tripwire_sdk import records

from streams.monitor._app import AppMonitor, Enricher
from streams.monitor._config import MonitorConfig
from streams.monitor._entity import Entity, EntityKey
from streams.monitor._model import ModelMonitor

__all__ = ["Monitor", "entity_key"]

log = logging.getLogger("tripwire.monitor")


def entity_key(event: dict[str, Any]) -> EntityKey:
    """The entity a validated event belongs to: ("app", app) for LLM events, else
    ("model", model)."""
    return ("app", event["app"]) if event["type"] == "llm" else ("model", event["model"])


class Monitor:
    """All models and apps of one worker (the partitions it owns), one :class:`Entity` each.

    Entities are independent: an entity's outputs depend only on its own events, so its state
    can be exported (:meth:`export`), moved to another worker and restored (:meth:`restore`)
    without touching the others.
    """

    def __init__(self, config: MonitorConfig | None = None) -> None:
        self.config = config or MonitorConfig()
        self.entities: dict[EntityKey, Entity] = {}
        self._enricher: Enricher | None = None
        self.counters = {"events": 0, "signals": 0, "alerts": 0, "triggers": 0, "verdicts": 0}

    @classmethod
    def from_settings(cls, settings: Any) -> Monitor:
        return cls(MonitorConfig.from_settings(settings.monitoring,
                                               judge_window=settings.judge.window))

    @property
    def models(self) -> dict[str, ModelMonitor]:
        """Model name -> its monitor (a view of the model entities)."""
        return {k[1]: e.monitor for k, e in self.entities.items()  # type: ignore[misc]
                if k[0] == "model"}

    @property
    def apps(self) -> dict[str, AppMonitor]:
        """App name -> its monitor (a view of the app entities)."""
        return {k[1]: e.monitor for k, e in self.entities.items()  # type: ignore[misc]
                if k[0] == "app"}

    # -- state that moves between workers ------------------------------------------------------
    def export(self, key: EntityKey) -> dict[str, Any]:
        """The versioned plain-data record of one entity's whole state."""
        return self.entities[key].to_record(self.config)

    def restore(self, record: dict[str, Any]) -> EntityKey:
        """Install an entity from :meth:`export` (replacing any state held for it)."""
        entity, same_settings = Entity.from_record(record, self.config)
        if not same_settings:
            log.warning("monitoring settings changed since %s %s was checkpointed: its state "
                        "is kept, calibrated thresholds (and budget periods, if the budgets "
                        "changed) start over", entity.kind, entity.name)
        key = (entity.kind, entity.name)
        self.entities[key] = entity
        return key

    def drop(self, key: EntityKey) -> None:
        """Forget an entity (its partition moved to another worker)."""
        self.entities.pop(key, None)

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
        i, n = 0, len(events)
        while i < n:
            event = events[i]
            kind = event["type"]
            if kind == "prediction":  # a run of one model's predictions goes in bulk
                model, j = event["model"], i + 1
                while j < n and events[j]["type"] == "prediction" and events[j]["model"] == model:
                    j += 1
                entity = self._entity("model", model)  # a "model" entity's monitor is a
                monitor: ModelMonitor = entity.monitor  # type: ignore[assignment]  # ModelMonitor
                for records in monitor.observe_predictions(events[i:j]):
                    self._after_model(entity, records, out)
                self.counters["events"] += j - i
                i = j
                continue
            self.counters["events"] += 1
            i += 1
            if kind == "label":
                entity = self._entity("model", event["model"])
                monitor = entity.monitor  # type: ignore[assignment]
                self._after_model(entity, monitor.observe_label(event), out)
            elif kind == "llm":
                self._observe_llm(event, out)
        return out

    def observe_verdict(self, verdict: dict[str, Any]) -> list[dict[str, Any]]:
        """Count one LLM-judge verdict (app, prompt_version, grounded, ts); every
        ``judge_window`` verdicts of a prompt version give a ``judge.hallucination_rate``."""
        self.counters["verdicts"] += 1
        entity = self._entity("app", verdict["app"])
        version = verdict["prompt_version"]
        window = entity.judge.setdefault(version, [0, 0, float("inf"), float("-inf")])
        ts = float(verdict["ts"])
        window[0] += 1
        window[1] += not verdict["grounded"]
        window[2], window[3] = min(window[2], ts), max(window[3], ts)
        if window[0] < self.config.judge_window:
            return []
        del entity.judge[version]
        record = records.signal("app", entity.name, "judge.hallucination_rate", version,
                                window[1] / window[0], None, int(window[0]), window[2], window[3])
        out: list[dict[str, Any]] = [record]  # type: ignore[list-item]
        self._evaluate(entity, [record], out)  # type: ignore[list-item]
        return out

    def set_reference(self, model: str, version: str, profile: Any) -> None:
        """Install a prebuilt reference profile (from the store or ``tripwire reference set``)."""
        self._entity("model", model).monitor.set_reference(version, profile)  # type: ignore[union-attr]

    def _entity(self, kind: str, name: str) -> Entity:
        entity = self.entities.get((kind, name))
        if entity is None:
            entity = self.entities[(kind, name)] = Entity.new(kind, name, self.config)
        return entity

    def _after_model(self, entity: Entity, records: list[dict[str, Any]],
                     out: list[dict[str, Any]]) -> None:
        if not records:
            return
        out.extend(records)
        changed = self._evaluate(entity, records, out)
        if changed:
            ts = max(float(r["ts"]) for r in records)
            firing = entity.rules.firing(entity.name)
            trigger = entity.trigger.decide("model", entity.name, ts, firing)
            if trigger:
                decay = entity.evidence.get("accuracy.decay", {})
                trigger["reason"] = [_describe(r, decay) for r in trigger["reason"]]
                self._emit_trigger(trigger, out)

    def _observe_llm(self, event: dict[str, Any], out: list[dict[str, Any]]) -> None:
        entity = self._entity("app", event["app"])
        monitor: AppMonitor = entity.monitor  # type: ignore[assignment]
        records, verdict = monitor.observe(event, self.enrich_llm(event))
        for record in records:
            if record.get("kind") == "alert":  # budgets raise alerts directly
                self.counters["alerts"] += 1
        out.extend(records)
        self._evaluate(entity, [r for r in records if r.get("kind") == "signal"], out)
        if verdict:
            evidence = dict(verdict)
            trigger = entity.trigger.decide("app", entity.name, float(event["ts"]),
                                            entity.rules.firing(entity.name), evidence=evidence)
            if trigger:
                self._emit_trigger(trigger, out)

    def _evaluate(self, entity: Entity, records: list[dict[str, Any]],
                  out: list[dict[str, Any]]) -> bool:
        """Run signals through the rules; append alert changes; True when any alert changed."""
        changed = False
        for record in records:
            if record.get("kind") != "signal":
                continue
            self.counters["signals"] += 1
            if record.get("evidence"):
                entity.evidence[record["metric"]] = record["evidence"]
            for alert in entity.rules.observe(record):
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
