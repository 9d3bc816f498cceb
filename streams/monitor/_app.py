"""Per-LLM-app monitoring: enrichment (tokens, cost, groundedness), windows per prompt version,
budgets and the prompt-version comparison that feeds ``prompt_rollback``.

Pure and event-time driven; ``Enricher`` holds the tokenizer/price/scorer objects.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tripwire_sdk import records

from detectors.budget import BudgetTracker
from detectors.llm import PriceBook, tokens_for_event
from detectors.rollback import PromptVersionComparator
from detectors.safety import SafetyCounts, scan
from streams.monitor._config import MonitorConfig

__all__ = ["Enricher", "AppMonitor"]


class Enricher:
    """Adds tokens (provider usage, else tiktoken), cost, groundedness and the safety scan
    (PII and secrets in the response, refusal, injection markers in the prompt) to an LLM
    event. ``tripwire golden run`` scores with this same class."""

    def __init__(self, config: MonitorConfig) -> None:
        self.prices = PriceBook(overrides=config.prices or None, unknown=config.unknown_price)
        self.scorer = config.groundedness_scorer()
        self.unknown_models: set[str] = set()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        tokens = tokens_for_event(event)
        cost = self.prices.price(event.get("llm_model") or "", tokens.input_tokens,
                                 tokens.output_tokens, ts=event.get("ts"))
        if cost.source == "unknown-rule":
            self.unknown_models.add(event.get("llm_model") or "")
        g = self.scorer.score(event.get("response") or "", event.get("context") or [],
                              event.get("prompt") or "")
        safety = scan(event.get("prompt") or "", event.get("response") or "")
        return {"input_tokens": tokens.input_tokens, "output_tokens": tokens.output_tokens,
                "token_source": tokens.source, "cost_usd": cost.usd, "price_source": cost.source,
                # A refusal makes no claim: scored, but not counted as a hallucination.
                "groundedness": g.score, "hallucinated": bool(g.flagged) and not safety.refusal,
                "unsupported": list(g.unsupported_numbers) + list(g.unsupported_names),
                "pii": list(safety.pii), "secrets": list(safety.secrets),
                "refusal": safety.refusal, "injection": safety.injection,
                "reasons": list(g.reasons)}


class _VersionWindow:
    def __init__(self) -> None:
        self.n = 0
        self.hallucinated = 0
        self.grounded: list[float] = []
        self.feedback_n = 0
        self.negative = 0
        self.cost = 0.0
        self.latency: list[float] = []
        self.tokens_in = 0
        self.tokens_out = 0
        self.start = math.inf
        self.end = -math.inf
        self.safety = SafetyCounts()

    def add(self, event: dict[str, Any], enrich: dict[str, Any]) -> None:
        self.n += 1
        self.safety.add(pii=bool(enrich.get("pii")), secret=bool(enrich.get("secrets")),
                        refusal=bool(enrich.get("refusal")),
                        injection=bool(enrich.get("injection")))
        self.hallucinated += bool(enrich.get("hallucinated"))
        if enrich.get("groundedness") is not None:
            self.grounded.append(float(enrich["groundedness"]))
        if event.get("feedback") is not None:
            self.feedback_n += 1
            self.negative += event["feedback"] == -1
        self.cost += float(enrich.get("cost_usd") or 0.0)
        if event.get("latency_ms") is not None:
            self.latency.append(float(event["latency_ms"]))
        self.tokens_in += int(enrich.get("input_tokens") or 0)
        self.tokens_out += int(enrich.get("output_tokens") or 0)
        ts = float(event["ts"])
        self.start, self.end = min(self.start, ts), max(self.end, ts)

    # The saved fields; one missing from an older checkpoint keeps its initial value.
    _STATE = ("n", "hallucinated", "grounded", "feedback_n", "negative", "cost", "latency",
              "tokens_in", "tokens_out", "start", "end")

    def to_state(self) -> dict[str, Any]:
        """Plain data: counts and sums, plus the window's groundedness and latency values
        (at most ``llm_window_events`` each)."""
        return {**{name: getattr(self, name) for name in self._STATE},
                "safety": self.safety.to_state()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _VersionWindow:
        out = cls()
        for name in cls._STATE:
            if name in state:
                setattr(out, name, state[name])
        if "safety" in state:
            out.safety = SafetyCounts.from_state(state["safety"])
        return out

    def metrics(self) -> dict[str, float]:
        out = {"hallucination.rate": self.hallucinated / self.n,
               "cost.per_request": self.cost / self.n, "cost.total": self.cost,
               "tokens.input": self.tokens_in / self.n, "tokens.output": self.tokens_out / self.n}
        if self.grounded:
            out["groundedness.mean"] = float(np.mean(self.grounded))
        if self.feedback_n:
            out["feedback.negative_rate"] = self.negative / self.feedback_n
        if self.latency:
            p50, p95 = np.percentile(self.latency, [50, 95])
            out["latency_ms.p50"], out["latency_ms.p95"] = float(p50), float(p95)
        out.update(self.safety.rates())
        return out


class AppMonitor:
    """One LLM app: per-prompt-version windows; budgets and the rollback comparison."""

    def __init__(self, app: str, config: MonitorConfig) -> None:
        self.app = app
        self.config = config
        self.budgets = BudgetTracker(config.budgets)
        self.comparator = PromptVersionComparator()
        self.windows: dict[str, _VersionWindow] = {}

    def to_state(self) -> dict[str, Any]:
        """Plain data: the open window per prompt version, budget scopes, comparator counts."""
        return {"windows": [[v, w.to_state()] for v, w in self.windows.items()],
                "budgets": self.budgets.to_state(), "comparator": self.comparator.to_state()}

    @classmethod
    def from_state(cls, state: dict[str, Any], app: str, config: MonitorConfig,
                   keep_budgets: bool = True) -> AppMonitor:
        """Rebuild from :meth:`to_state`; ``keep_budgets=False`` starts the budget periods
        fresh (the configured budgets changed, so saved scopes may belong to other ones)."""
        out = cls(app, config)
        out.windows = {v: _VersionWindow.from_state(w) for v, w in state["windows"]}
        if keep_budgets:
            out.budgets.load_state(state["budgets"])
        out.comparator.load_state(state["comparator"])
        return out

    def observe(self, event: dict[str, Any],
                enrich: dict[str, Any]) -> tuple[list[dict], dict | None]:
        """Return (signal/alert records, rollback verdict or None) for one LLM event."""
        version = str(event.get("prompt_version") or "")
        ts = float(event["ts"])
        out: list[dict[str, Any]] = []
        if self.config.budgets:
            out += self.budgets.observe(self.app, event.get("user"), float(enrich["cost_usd"]), ts)
        window = self.windows.setdefault(version, _VersionWindow())
        window.add(event, enrich)
        if window.n >= self.config.llm_window_events:
            out += self._close(version, window)
            self.windows[version] = _VersionWindow()
        feedback = event.get("feedback")
        verdict = self.comparator.observe(
            self.app, version, ts, bool(enrich.get("hallucinated")),
            None if feedback is None else feedback == -1, float(enrich["cost_usd"]),
            refused=bool(enrich.get("refusal")))
        return out, verdict

    def _close(self, version: str, window: _VersionWindow) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            records.signal("app", self.app, metric, version, value, None, window.n,  # type: ignore[misc]
                           window.start, window.end) for metric, value in window.metrics().items()]
        if self.config.budgets:
            out += self._budget_signals(window)
        return out

    def _budget_signals(self, window: _VersionWindow) -> list[dict[str, Any]]:
        try:
            status = self.budgets.status(self.app, window.end)
        except KeyError:
            return []
        return [records.signal("app", self.app, metric, status["period"],  # type: ignore[misc]
                               status[key], 1.0, window.n, status["period_start"], window.end)
                for metric, key in (("budget.used_share", "used_share"),
                                    ("budget.projected_share", "projected_share"))
                if status.get(key) is not None]
