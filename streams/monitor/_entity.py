"""One monitored entity (a model or an LLM app) and everything that moves with its partition.

The worker's Kafka partitions are keyed by entity, so each entity's state (windows, label join,
reference profiles, rule series, trigger cooldowns, budgets, the prompt-version comparison)
lives in one :class:`Entity` that can be exported as a versioned plain-data record and
restored by whichever worker owns the partition next.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from detectors.rules import RuleEngine, TriggerPolicy
from streams.monitor._app import AppMonitor
from streams.monitor._config import MonitorConfig
from streams.monitor._model import ModelMonitor

__all__ = ["Entity", "EntityKey", "STATE_VERSION", "config_fingerprint"]

STATE_VERSION = 1  # of the record ``Entity.to_record`` writes; bump when its shape changes

EntityKey = tuple[str, str]  # ("model" | "app", name)


def config_fingerprint(config: MonitorConfig) -> dict[str, str]:
    """Short hashes of the settings a saved state depends on: all of them, and the budgets."""
    def digest(value: object) -> str:
        return hashlib.sha1(repr(value).encode()).hexdigest()[:16]
    return {"all": digest(config), "budgets": digest(config.budgets)}


@dataclass
class Entity:
    """State of one model or app: its monitor, its alert series and its trigger cooldowns."""

    kind: str
    name: str
    monitor: ModelMonitor | AppMonitor
    rules: RuleEngine
    trigger: TriggerPolicy
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric -> evidence
    judge: dict[str, list[float]] = field(default_factory=dict)  # version -> [n, bad, t0, t1]

    @classmethod
    def new(cls, kind: str, name: str, config: MonitorConfig) -> Entity:
        monitor: ModelMonitor | AppMonitor = (ModelMonitor(name, config) if kind == "model"
                                              else AppMonitor(name, config))
        return cls(kind, name, monitor, RuleEngine(config.all_rules()), _policy(kind, config))

    def to_record(self, config: MonitorConfig) -> dict[str, Any]:
        """The versioned checkpoint record of this entity (plain data; numpy arrays and
        River detector bytes are its only non-JSON leaves)."""
        return {"version": STATE_VERSION, "kind": self.kind, "entity": self.name,
                "config": config_fingerprint(config),
                "state": {"monitor": self.monitor.to_state(), "rules": self.rules.to_state(),
                          "trigger": self.trigger.to_state(), "evidence": self.evidence,
                          "judge": self.judge}}

    @classmethod
    def from_record(cls, record: dict[str, Any], config: MonitorConfig) -> tuple[Entity, bool]:
        """Rebuild from :meth:`to_record`; returns (entity, settings unchanged). When the
        monitoring settings changed since the record was written, the state is kept but what
        was derived from the old settings is reset: calibrated drift thresholds (recomputed at
        the next window) and, if the budgets changed, the budget periods."""
        if record.get("version") != STATE_VERSION:
            raise ValueError(f"checkpoint version {record.get('version')!r} is not "
                             f"{STATE_VERSION}; this Tripwire cannot read it")
        kind, name, state = record["kind"], record["entity"], record["state"]
        now, then = config_fingerprint(config), record.get("config") or {}
        monitor: ModelMonitor | AppMonitor
        if kind == "model":
            monitor = ModelMonitor.from_state(state["monitor"], name, config)
            if then.get("all") != now["all"]:
                monitor.forget_calibration()
        else:
            monitor = AppMonitor.from_state(state["monitor"], name, config,
                                            keep_budgets=then.get("budgets") == now["budgets"])
        rules = RuleEngine.from_state(state["rules"], config.all_rules())
        trigger = _policy(kind, config).load_state(state["trigger"])
        entity = cls(kind, name, monitor, rules, trigger, dict(state["evidence"]),
                     dict(state["judge"]))
        return entity, then.get("all") == now["all"]


def _policy(kind: str, config: MonitorConfig) -> TriggerPolicy:
    if kind == "model":
        return TriggerPolicy("retrain", cooldown_s=config.retrain_cooldown_s,
                             metrics=config.retrain_on)
    return TriggerPolicy("prompt_rollback", cooldown_s=config.rollback_cooldown_s)
