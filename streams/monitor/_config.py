"""Monitor configuration: the ``monitoring:`` section of the settings, validated once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from detectors.budget import Budget
from detectors.llm import GroundednessScorer
from detectors.rules import Rule, default_rules, safety_rules

__all__ = ["MonitorConfig", "ModelOverrides"]


@dataclass(frozen=True)
class ModelOverrides:
    """Per-model settings from ``monitoring.models.<name>`` (all optional)."""

    window_events: int | None = None
    reference_events: int | None = None
    features: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → method/threshold
    task: str | None = None


@dataclass(frozen=True)
class MonitorConfig:
    """Everything the pure monitor needs; built from ``Settings.monitoring``."""

    window_events: int = 1000
    window_s: float | None = None
    min_window_events: int = 200
    reference_events: int = 2000
    drift_share: float = 0.5
    drift_method: dict[str, str] = field(default_factory=dict)
    models: dict[str, ModelOverrides] = field(default_factory=dict)
    label_ttl_s: float = 7 * 86400
    min_labels: int = 200
    llm_window_events: int = 200
    retrain_cooldown_s: float = 6 * 3600
    rollback_cooldown_s: float = 6 * 3600
    retrain_on: tuple[str, ...] = ("accuracy.decay", "drift.share", "drift.burst",
                                   "estimated.sustained")
    rules: tuple[Rule, ...] = ()
    budgets: tuple[Budget, ...] = ()
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    unknown_price: Any = "zero"
    judge_window: int = 50
    groundedness_min_score: float = 0.5
    groundedness_flag_without_context: bool = False

    def groundedness_scorer(self) -> GroundednessScorer:
        """The groundedness scorer these settings describe: the worker's enricher and
        ``tripwire groundedness`` both build theirs here, so they judge alike."""
        return GroundednessScorer(min_score=self.groundedness_min_score,
                                  flag_without_context=self.groundedness_flag_without_context)

    def all_rules(self) -> list[Rule]:
        """User rules first, then the defaults (the first matching rule owns a series)."""
        p_value_rules = [Rule("drift.ks", None, direction="below"),
                         Rule("drift.chisquare", None, direction="below")]
        app_rules = [Rule("hallucination.rate", 0.3), Rule("feedback.negative_rate", 0.3),
                     Rule("judge.hallucination_rate", 0.3)]
        return [*self.rules, *p_value_rules, *default_rules(), *app_rules, *safety_rules()]

    def for_model(self, model: str) -> ModelOverrides:
        return self.models.get(model) or ModelOverrides()

    @classmethod
    def from_settings(cls, monitoring: Any, judge_window: int = 50) -> MonitorConfig:
        """Build from ``Settings.monitoring``; bad rule/budget entries raise ValueError naming
        the entry."""
        m = monitoring
        models = {}
        for name, raw in (m.models or {}).items():
            try:
                models[name] = ModelOverrides(**raw)
            except TypeError as exc:
                raise ValueError(f"monitoring.models.{name}: {exc}; allowed keys: window_events,"
                                 " reference_events, features, task") from exc
        return cls(
            window_events=m.window_events, window_s=m.window_s,
            min_window_events=m.min_window_events, reference_events=m.reference_events,
            drift_share=m.drift_share, drift_method=dict(m.drift_method), models=models,
            label_ttl_s=m.label_ttl_s, min_labels=m.min_labels,
            llm_window_events=m.llm_window_events, retrain_cooldown_s=m.retrain_cooldown_s,
            rollback_cooldown_s=m.rollback_cooldown_s, retrain_on=tuple(m.retrain_on),
            rules=tuple(_build("monitoring.rules", Rule, r) for r in m.rules),
            budgets=tuple(_build("monitoring.budgets", Budget, _budget(b)) for b in m.budgets),
            prices=dict(m.prices), unknown_price=m.unknown_price, judge_window=judge_window,
            groundedness_min_score=m.groundedness_min_score,
            groundedness_flag_without_context=m.groundedness_flag_without_context,
        )


def _budget(raw: dict[str, Any]) -> dict[str, Any]:
    out = dict(raw)
    if "thresholds" in out:
        out["thresholds"] = tuple(out["thresholds"])
    return out


def _build(where: str, kind: Any, raw: dict[str, Any]) -> Any:
    try:
        return kind(**raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: entry {raw!r} is invalid: {exc}") from exc
