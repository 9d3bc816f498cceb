"""Alert rules and trigger policy: pure, event-time state machines over signal records.

A :class:`Rule` turns one metric time series into ``firing`` / ``resolved`` alert state changes
(``docs/contracts.md``) with four guards against noise and flapping:

* ``for_windows`` - fire only after K *consecutive* bad windows (Prometheus ``for``);
* ``resolve_threshold`` - hysteresis, resolve only once the value is back past it;
* ``resolve_windows`` - resolve only after M consecutive good windows (``keep_firing_for``);
* ``cooldown_s`` - after a resolve, a new firing of the same alert waits this long (event time).

The first rule whose ``metric`` / ``dimension`` / ``entity`` patterns match a signal owns it, so
one series has one state and one ``alert_id``. A signal whose ``ts`` is not newer than the last
one seen for its series is a redelivery and is ignored (at-least-once input is idempotent).
Alerts carry a flap indicator in their evidence: the share of state changes over the last 21
evaluations (Nagios / Naemon style); ``flapping`` is true above 50 %.

>>> import random
>>> rng = random.Random(7)
>>> values = [rng.uniform(0.0, 0.1) for _ in range(10)] + [rng.uniform(0.3, 0.4) for _ in range(10)]
>>> engine = RuleEngine([Rule("drift.psi", threshold=0.2, for_windows=3)])
>>> def signal(i, v):
...     return {"entity_type": "model", "entity": "churn", "metric": "drift.psi",
...             "dimension": "age", "value": v, "threshold": 0.2, "n": 500,
...             "window_start": 60.0 * i, "window_end": 60.0 * (i + 1), "ts": 60.0 * (i + 1)}
>>> [(i, a["state"]) for i, v in enumerate(values) for a in engine.observe(signal(i, v))]
[(12, 'firing')]
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from tripwire_sdk import records

__all__ = ["Rule", "RuleEngine", "TriggerPolicy", "alert_id", "default_rules", "safety_rules"]

FLAP_EVALUATIONS = 21
FLAP_SHARE = 0.5


def alert_id(entity: str, metric: str, dimension: str) -> str:
    """Stable id of one alert series: sha1 hex of ``entity|metric|dimension``."""
    return hashlib.sha1(f"{entity}|{metric}|{dimension}".encode()).hexdigest()


@dataclass(frozen=True)
class Rule:
    """One alert rule. ``threshold=None`` means: use the ``threshold`` carried by the signal."""

    metric: str
    threshold: float | None
    direction: str = "above"
    resolve_threshold: float | None = None
    for_windows: int = 2
    resolve_windows: int = 3
    cooldown_s: float = 3600.0
    severity: str = "warning"
    dimension: str | None = None
    entity: str | None = None

    def __post_init__(self) -> None:
        if self.direction not in ("above", "below"):
            raise ValueError(f"direction must be 'above' or 'below', not {self.direction!r}")
        if self.for_windows < 1 or self.resolve_windows < 1:
            raise ValueError("for_windows and resolve_windows must be >= 1")
        if self.cooldown_s < 0:
            raise ValueError("cooldown_s must be >= 0")
        if self.severity not in ("warning", "critical"):
            raise ValueError(f"severity must be 'warning' or 'critical', not {self.severity!r}")

    def matches(self, signal: dict) -> bool:
        """True when this rule's metric / dimension / entity patterns all match the signal."""
        return (
            fnmatchcase(signal["metric"], self.metric)
            and (self.dimension is None or fnmatchcase(signal.get("dimension", ""), self.dimension))
            and (self.entity is None or fnmatchcase(signal["entity"], self.entity))
        )

    def bounds(self, signal: dict) -> tuple[float, float] | None:
        """(fire threshold, resolve threshold) for this signal, or None when it has none."""
        threshold = self.threshold if self.threshold is not None else signal.get("threshold")
        if threshold is None:
            return None
        resolve = self.resolve_threshold if self.resolve_threshold is not None else threshold
        return float(threshold), float(resolve)

    def is_bad(self, value: float, threshold: float) -> bool:
        return value >= threshold if self.direction == "above" else value <= threshold

    def is_good(self, value: float, resolve: float) -> bool:
        return value < resolve if self.direction == "above" else value > resolve


def default_rules() -> list[Rule]:
    """Defaults for the metrics of ``docs/contracts.md`` (first match wins, order matters).

    * ``drift.share`` >= 0.5 (half the features drifted), 2 windows, critical;
    * ``drift.burst`` >= the threshold it carries (most features' means moved, seen in a
      quarter window), 1 window, critical;
    * ``estimated.sustained`` >= the threshold it carries (label-free performance estimates
      below their band for that many consecutive windows), 1 window, critical;
    * ``estimated.*`` below the band's lower bound it carries, 2 windows (each signal below
      it is a window NannyML would flag; one alone is too noisy to page on);
    * ``drift.*`` >= the threshold the drift signal carries (its method's own cut-off), 2 windows;
    * ``missing.share`` / ``unseen.share`` >= 0.1, 2 windows;
    * ``accuracy.decay`` == 1 (``DecayDetector`` found a significant drop), 1 window, critical.

    All resolve after 3 good windows and wait 1 h (event time) before re-firing. Hallucination,
    feedback and cost regressions are judged by ``rollback.PromptVersionComparator``; budgets
    raise their own alerts (``budget.BudgetTracker``).
    """
    return [
        Rule("drift.share", 0.5, severity="critical"),
        Rule("drift.burst", None, for_windows=1, severity="critical"),
        Rule("estimated.sustained", None, for_windows=1, severity="critical"),
        Rule("estimated.*", None, direction="below"),
        Rule("drift.*", None),
        Rule("missing.share", 0.1),
        Rule("unseen.share", 0.1),
        Rule("accuracy.decay", 1.0, for_windows=1, severity="critical"),
    ]


def safety_rules() -> list[Rule]:
    """Defaults for the per-prompt-version safety signals (``detectors.safety``).

    * ``safety.secret_rate``: any credential in a window's responses, at once, critical;
    * ``safety.pii_rate`` >= 0.1 (one response in ten carries personal data), 2 windows;
    * ``refusal.rate`` >= 0.25, 2 windows;
    * ``injection.rate`` >= 0.05 of the prompts, 2 windows.
    """
    from detectors.safety import INJECTION_RATE, PII_RATE, REFUSAL_RATE, SECRET_RATE

    return [
        Rule(SECRET_RATE, 1e-9, for_windows=1, severity="critical"),
        Rule(PII_RATE, 0.1),
        Rule(REFUSAL_RATE, 0.25),
        Rule(INJECTION_RATE, 0.05),
    ]


@dataclass
class _Series:
    """Mutable state of one (entity_type, entity, metric, dimension) series."""

    firing: bool = False
    bad_streak: int = 0
    good_streak: int = 0
    last_ts: float = -math.inf
    resolved_ts: float = -math.inf
    recent: deque = field(default_factory=lambda: deque(maxlen=FLAP_EVALUATIONS))
    record: dict | None = None


class RuleEngine:
    """Evaluates signals against rules; returns alert state changes. Picklable."""

    def __init__(self, rules: Sequence[Rule]):
        self.rules = tuple(rules)
        self._series: dict[tuple[str, str, str, str], _Series] = {}
        self.counters = {"observed": 0, "unmatched": 0, "stale": 0, "suppressed": 0}

    def observe(self, signal: dict) -> list[dict]:
        """Feed one signal record; return the alert records it causes (usually none)."""
        self.counters["observed"] += 1
        rule = next((r for r in self.rules if r.matches(signal)), None)
        bounds = rule.bounds(signal) if rule else None
        value = float(signal["value"]) if signal.get("value") is not None else math.nan
        if rule is None or bounds is None or math.isnan(value):
            self.counters["unmatched"] += 1
            return []
        key = (signal["entity_type"], signal["entity"], signal["metric"],
               signal.get("dimension", ""))
        series = self._series.setdefault(key, _Series())
        ts = float(signal["ts"])
        if ts <= series.last_ts:
            self.counters["stale"] += 1
            return []
        series.last_ts = ts
        return self._step(rule, bounds, series, signal, value)

    def _step(self, rule: Rule, bounds: tuple[float, float], series: _Series,
              signal: dict, value: float) -> list[dict]:
        bad, good = rule.is_bad(value, bounds[0]), rule.is_good(value, bounds[1])
        series.bad_streak = series.bad_streak + 1 if bad else 0
        series.good_streak = series.good_streak + 1 if good else 0
        series.recent.append((float(signal["window_start"]), float(signal["window_end"]),
                              value, bad))
        ts = float(signal["ts"])
        if not series.firing and series.bad_streak >= rule.for_windows:
            if ts < series.resolved_ts + rule.cooldown_s:
                self.counters["suppressed"] += 1
                return []
            series.firing = True
            series.record = self._record(rule, bounds, series, signal, "firing")
            return [copy.deepcopy(series.record)]
        if series.firing and series.good_streak >= rule.resolve_windows:
            series.firing, series.resolved_ts, series.record = False, ts, None
            return [self._record(rule, bounds, series, signal, "resolved")]
        return []

    def _record(self, rule: Rule, bounds: tuple[float, float], series: _Series,
                signal: dict, state: str) -> dict:
        k = rule.for_windows if state == "firing" else rule.resolve_windows
        last = list(series.recent)[-k:]
        flags = [r[3] for r in series.recent]
        changes = sum(a != b for a, b in zip(flags, flags[1:], strict=False))
        flap_share = changes / (FLAP_EVALUATIONS - 1)
        dimension = signal.get("dimension", "")
        return records.alert(  # type: ignore[return-value]
            alert_id(signal["entity"], signal["metric"], dimension), signal["entity_type"],
            signal["entity"], signal["metric"], dimension, state, rule.severity,
            float(signal["ts"]), float(signal["value"]), bounds[0], last[0][0], last[-1][1],
            {"values": [r[2] for r in last], "windows": [[r[0], r[1]] for r in last],
             "resolve_threshold": bounds[1], "n": signal.get("n"),
             "flap_share": round(flap_share, 4), "flapping": flap_share > FLAP_SHARE,
             "rule": dataclasses.asdict(rule)})

    def firing(self, entity: str | None = None) -> list[dict]:
        """The firing records of the alerts that are currently firing (optionally one entity)."""
        return [copy.deepcopy(s.record) for (_, ent, _, _), s in sorted(self._series.items())
                if s.firing and s.record is not None and (entity is None or ent == entity)]

    def to_state(self) -> dict:
        """Plain data: one entry per series (its streaks, last 21 evaluations and, while
        firing, its alert record); the rules themselves come from the configuration."""
        series = [[list(key), {"firing": s.firing, "bad_streak": s.bad_streak,
                               "good_streak": s.good_streak, "last_ts": s.last_ts,
                               "resolved_ts": s.resolved_ts,
                               "recent": [list(r) for r in s.recent], "record": s.record}]
                  for key, s in self._series.items()]
        return {"series": series, "counters": dict(self.counters)}

    @classmethod
    def from_state(cls, state: dict, rules: Sequence[Rule]) -> RuleEngine:
        out = cls(rules)
        out.counters.update(state["counters"])
        for key, s in state["series"]:
            recent: deque = deque((tuple(r) for r in s["recent"]), maxlen=FLAP_EVALUATIONS)
            out._series[tuple(key)] = _Series(  # type: ignore[index]
                s["firing"], s["bad_streak"], s["good_streak"], s["last_ts"],
                s["resolved_ts"], recent, s["record"])
        return out


class TriggerPolicy:
    """Turns the firing alerts of one entity into a ``retrain`` / ``prompt_rollback`` trigger.

    A trigger is issued when at least ``min_alerts`` reasons exist: firing alerts of the entity
    whose metric matches one of ``metrics``, plus - for ``prompt_rollback`` - the metrics of a
    ``rollback`` verdict passed as ``evidence``. A ``prompt_rollback`` needs that verdict (it names
    ``from_version`` / ``to_version``). For ``retrain`` the evidence carries
    ``suggested_reference`` (given, or else from the earliest alert window start to ``ts``).
    At most one trigger per (entity_type, entity) inside ``cooldown_s`` of event time (for
    ``prompt_rollback``: per (entity, from_version)).
    """

    def __init__(self, type: str, cooldown_s: float = 6 * 3600, min_alerts: int = 1,
                 metrics: Sequence[str] = ("*",)):
        if type not in ("retrain", "prompt_rollback"):
            raise ValueError(f"type must be 'retrain' or 'prompt_rollback', not {type!r}")
        if min_alerts < 1 or cooldown_s < 0:
            raise ValueError("min_alerts must be >= 1 and cooldown_s >= 0")
        self.type, self.cooldown_s, self.min_alerts = type, float(cooldown_s), min_alerts
        self.metrics = tuple(metrics)
        self._last: dict[tuple[str, str, str], float] = {}

    def to_state(self) -> dict:
        """Plain data: the time of the last trigger per (entity_type, entity, from_version)."""
        return {"last": [[list(key), ts] for key, ts in self._last.items()]}

    def load_state(self, state: dict) -> TriggerPolicy:
        """Restore :meth:`to_state` into this policy (built from the configuration)."""
        self._last = {tuple(key): float(ts) for key, ts in state["last"]}  # type: ignore[misc]
        return self

    def decide(self, entity_type: str, entity: str, ts: float, firing_alerts: list[dict],
               evidence: dict | None = None) -> dict | None:
        """A trigger record (contracts shape) or None."""
        evidence = dict(evidence or {})
        alerts = [a for a in firing_alerts
                  if a.get("entity") == entity and a.get("entity_type", entity_type) == entity_type
                  and a.get("state", "firing") == "firing"
                  and any(fnmatchcase(a["metric"], m) for m in self.metrics)]
        verdict = evidence if "from_version" in evidence and "to_version" in evidence else None
        reasons = [_alert_reason(a) for a in alerts] + _verdict_reasons(verdict)
        if len(reasons) < self.min_alerts or (self.type == "prompt_rollback" and not verdict):
            return None
        # A rollback's cooldown is per bad version: v3 regressing after v2 was rolled back is
        # a new problem, not a repeat.
        key = (entity_type, entity, verdict["from_version"] if verdict else "")
        last = self._last.get(key)
        if last is not None and ts < last + self.cooldown_s:
            return None
        self._last[key] = float(ts)
        return self._record(entity_type, entity, float(ts), reasons, alerts, evidence, verdict)

    def _record(self, entity_type: str, entity: str, ts: float, reasons: list[str],
                alerts: list[dict], evidence: dict, verdict: dict | None) -> dict:
        evidence["alert_ids"] = [a["alert_id"] for a in alerts if "alert_id" in a]
        if self.type == "retrain" and "suggested_reference" not in evidence:
            starts = [a["window_start"] for a in alerts if "window_start" in a]
            evidence["suggested_reference"] = {"window_start": min(starts, default=ts),
                                               "window_end": ts}
        rollback = verdict is not None and self.type == "prompt_rollback"
        return records.trigger(  # type: ignore[return-value]
            hashlib.sha1(f"{self.type}|{entity}|{ts!r}".encode()).hexdigest(), self.type,
            entity_type, entity, ts, reasons, evidence,
            verdict["from_version"] if rollback else None,  # type: ignore[index]
            verdict["to_version"] if rollback else None)  # type: ignore[index]


def _alert_reason(alert: dict) -> str:
    """``"drift.wasserstein:age=0.31>0.1"`` / ``"accuracy=0.71<0.85"``."""
    rule = alert.get("evidence", {}).get("rule", {})
    op = "<" if rule.get("direction") == "below" else ">"
    dim = f":{alert['dimension']}" if alert.get("dimension") else ""
    return f"{alert['metric']}{dim}={alert['value']:.4g}{op}{alert['threshold']:.4g}"


def _verdict_reasons(verdict: dict | None) -> list[str]:
    """``"hallucination.rate:v2=0.31>v1=0.1"`` for every metric of a rollback verdict."""
    if not verdict:
        return []
    f, t = verdict["from_version"], verdict["to_version"]
    return [f"{m['metric']}:{f}={m['from_value']:.4g}>{t}={m['to_value']:.4g}"
            for m in verdict.get("metrics", [])]
