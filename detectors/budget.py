"""Cost budgets per app (optionally per user) per UTC day or month of event time.

``BudgetTracker.observe`` adds one request's cost and returns alert records
(``docs/contracts.md``, ``entity_type="app"``):

* ``budget.used_share`` - spent / limit crossed one of the budget's ``thresholds``. Each threshold
  fires at most once per period; when one request crosses several, one record is sent for the
  highest (``evidence.thresholds_crossed`` lists them). Severity is ``critical`` from 1.0 up.
* ``budget.projected_share`` - linear burn-rate projection ``used_share / elapsed_fraction`` of
  the period exceeded 1.0; checked only once ``min_elapsed_fraction`` of the period has passed
  (default 0.1: 2.4 h of a day, ~3 days of a month), fires at most once per period.

``dimension`` is the period (``"day:2026-01-02"``, ``"month:2026-01"``), prefixed
``"<user>@"`` for per-user budgets. A new period starts clean: the first event of a scope in a
new period (or ``prune``) returns ``resolved`` records, stamped with the old period's end, for
the alerts that fired in the old one. Events older than a scope's current period are counted in
``counters["late"]`` and otherwise ignored. ``app`` may be an fnmatch pattern ("*" = every app,
each on its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase

from tripwire_sdk import records

from detectors.rules import alert_id

__all__ = ["Budget", "BudgetTracker"]

USED, PROJECTED = "budget.used_share", "budget.projected_share"


@dataclass(frozen=True)
class Budget:
    app: str
    limit_usd: float
    period: str = "day"
    per_user: bool = False
    thresholds: tuple = (0.5, 0.8, 1.0)

    def __post_init__(self) -> None:
        if self.period not in ("day", "month"):
            raise ValueError(f"period must be 'day' or 'month', not {self.period!r}")
        if not self.limit_usd > 0:
            raise ValueError("limit_usd must be > 0")
        if not self.thresholds or any(t <= 0 for t in self.thresholds):
            raise ValueError("thresholds must be a non-empty tuple of positive shares")


def period_bounds(period: str, ts: float) -> tuple[float, float, str]:
    """(start, end, label) of the UTC day or month holding event time ``ts``."""
    day = datetime.fromtimestamp(ts, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day.timestamp(), day.timestamp() + 86400.0, f"day:{day:%Y-%m-%d}"
    start = day.replace(day=1)
    end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
    return start.timestamp(), end.timestamp(), f"month:{start:%Y-%m}"


@dataclass
class _Scope:
    start: float
    end: float
    dimension: str
    spent: float = 0.0
    fired: set = field(default_factory=set)  # thresholds alerted, and "projected"


class BudgetTracker:
    """Tracks spend per (budget, app, user) scope and period; returns budget alerts."""

    def __init__(self, budgets: Sequence[Budget], min_elapsed_fraction: float = 0.1):
        if not 0 < min_elapsed_fraction <= 1:
            raise ValueError("min_elapsed_fraction must be in (0, 1]")
        self.budgets = tuple(budgets)
        self.min_elapsed_fraction = min_elapsed_fraction
        self._scopes: dict[tuple[int, str, str], _Scope] = {}
        self.counters = {"observed": 0, "late": 0, "unbudgeted": 0}

    def observe(self, app: str, user: str | None, cost_usd: float, ts: float) -> list[dict]:
        """Add one request's cost at event time ``ts``; return alert records."""
        self.counters["observed"] += 1
        out: list[dict] = []
        matched = False
        for index, budget in enumerate(self.budgets):
            if not fnmatchcase(app, budget.app):
                continue
            matched = True
            key = (index, app, (user or "") if budget.per_user else "")
            scope = self._scope(key, budget, float(ts), out)
            if scope is None:
                self.counters["late"] += 1
                continue
            scope.spent += float(cost_usd)
            out += self._check(budget, app, key[2], scope, float(ts))
        self.counters["unbudgeted"] += not matched
        return out

    def _scope(self, key: tuple[int, str, str], budget: Budget, ts: float,
               out: list[dict]) -> _Scope | None:
        scope = self._scopes.get(key)
        if scope is not None and ts < scope.start:
            return None
        if scope is None or ts >= scope.end:
            if scope is not None:
                out += self._resolve(budget, key[1], key[2], scope)
            start, end, label = period_bounds(budget.period, ts)
            dimension = f"{key[2]}@{label}" if budget.per_user else label
            scope = self._scopes[key] = _Scope(start, end, dimension)
        return scope

    def _check(self, budget: Budget, app: str, user: str, scope: _Scope, ts: float) -> list:
        used = scope.spent / budget.limit_usd
        out = []
        crossed = sorted(t for t in budget.thresholds if used >= t and t not in scope.fired)
        scope.fired.update(crossed)
        for threshold in crossed:
            out.append(self._alert(budget, app, user, scope, ts, USED, used, threshold,
                                   thresholds_crossed=crossed))
        projected = self._projected(scope.start, scope.end, used, ts)
        if projected is not None and projected > 1.0 and "projected" not in scope.fired:
            scope.fired.add("projected")
            out.append(self._alert(budget, app, user, scope, ts, PROJECTED, projected, 1.0,
                                   used_share=used))
        return out

    def _projected(self, start: float, end: float, used: float, ts: float) -> float | None:
        elapsed = (ts - start) / (end - start)
        return used / elapsed if elapsed >= self.min_elapsed_fraction else None

    def _alert(self, budget: Budget, app: str, user: str, scope: _Scope, ts: float,
               metric: str, value: float, threshold: float, state: str = "firing",
               **evidence) -> dict:
        severity = "critical" if metric == USED and threshold >= 1.0 else "warning"
        # Each threshold is its own alert (own id), so a notifier that sends one message per
        # state change sends the 50 %, 80 % and 100 % alerts each once.
        dimension = f"{scope.dimension}@{threshold:.0%}" if metric == USED else scope.dimension
        return records.alert(  # type: ignore[return-value]
            alert_id(app, metric, dimension), "app", app, metric, dimension, state, severity, ts,
            value, threshold, scope.start, scope.end,
            {"spent_usd": scope.spent, "limit_usd": budget.limit_usd, "period": budget.period,
             "user": user or None, **evidence})

    def _resolve(self, budget: Budget, app: str, user: str, scope: _Scope) -> list[dict]:
        used = scope.spent / budget.limit_usd
        out = []
        for threshold in sorted(t for t in scope.fired if t != "projected"):
            out.append(self._alert(budget, app, user, scope, scope.end, USED, used,
                                   threshold, state="resolved"))
        if "projected" in scope.fired:
            out.append(self._alert(budget, app, user, scope, scope.end, PROJECTED, used, 1.0,
                                   state="resolved"))
        return out

    def to_state(self) -> dict:
        """Plain data: one entry per (budget index, app, user) scope of the current period."""
        scopes = [[list(key), {"start": sc.start, "end": sc.end, "dimension": sc.dimension,
                               "spent": sc.spent, "fired": sorted(sc.fired, key=str)}]
                  for key, sc in self._scopes.items()]
        return {"scopes": scopes, "counters": dict(self.counters)}

    def load_state(self, state: dict) -> BudgetTracker:
        """Restore :meth:`to_state` into this tracker (built from the configuration)."""
        self.counters.update(state["counters"])
        self._scopes = {(int(k[0]), k[1], k[2]): _Scope(v["start"], v["end"], v["dimension"],
                                                          v["spent"], set(v["fired"]))
                        for k, v in state["scopes"]}
        return self

    def prune(self, now_ts: float) -> list[dict]:
        """Forget scopes whose period ended by ``now_ts``; return their ``resolved`` records."""
        out: list[dict] = []
        for key in [k for k, s in self._scopes.items() if s.end <= now_ts]:
            scope = self._scopes.pop(key)
            out += self._resolve(self.budgets[key[0]], key[1], key[2], scope)
        return out

    def status(self, app: str, ts: float, user: str | None = None) -> dict:
        """Spend of the first budget matching ``app`` (a per-user one when ``user`` is given)."""
        for index, budget in enumerate(self.budgets):
            if fnmatchcase(app, budget.app) and budget.per_user == (user is not None):
                key = (index, app, user or "")
                start, end, label = period_bounds(budget.period, float(ts))
                scope = self._scopes.get(key)
                spent = scope.spent if scope is not None and scope.start == start else 0.0
                used = spent / budget.limit_usd
                return {"spent": spent, "limit": budget.limit_usd, "used_share": used,
                        "projected_share": self._projected(start, end, used, float(ts)),
                        "period_start": start, "period_end": end, "period": label}
        raise KeyError(f"no budget for app {app!r}" + (" per user" if user else ""))
