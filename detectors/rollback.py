"""Prompt-version comparison for LLM apps, and the two-sample tests it (and accuracy) uses.

``PromptVersionComparator`` orders an app's prompt versions by first-seen event time. After every
event it compares the newest version with the *last good* one (the most recent earlier version
not itself judged worse) and returns a verdict - once per version - when the newest is
significantly worse on at least one metric:

* ``hallucination.rate``, ``refusal.rate`` and ``feedback.negative_rate``: one-sided
  two-proportion z-test of
  H0: rate_new - rate_good <= ``min_effect`` (the margin is part of the hypothesis, so the
  increase must be significantly *larger* than ``min_effect``), Agresti-Caffo adjusted
  (one success and one failure added per group), rejected at ``alpha``. Feedback counts only
  events that carry feedback.
* ``cost.per_request``: mean cost ratio new / good > ``cost_ratio`` *and* a one-sided Welch
  t-test of H0: mean_new <= mean_good rejected at ``alpha``.

Every metric needs ``min_samples`` observations on both sides. The margin makes the per-event
re-testing safe: under H0 the z boundary grows like sqrt(n), so repeated looks rarely cross it.
With ``window_s`` only the last ``window_s`` seconds of event time count (in ten buckets); the
good version must then still receive traffic, so the default is cumulative (``None``).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, fields

__all__ = ["PromptVersionComparator", "mean_increase_p", "proportion_increase_p", "t_sf"]

_BUCKETS = 10


def norm_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom (regularized incomplete beta)."""
    if not math.isfinite(df) or df > 1e7:
        return norm_sf(t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t > 0 else 1.0 - tail


def _betainc(a: float, b: float, x: float) -> float:
    if x <= 0.0 or x >= 1.0:
        return max(0.0, min(1.0, x))
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        for aa in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                   -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return h


def proportion_increase_p(k1: int, n1: int, k0: int, n0: int, margin: float = 0.0) -> float:
    """One-sided p of H0: p1 - p0 <= margin (Agresti-Caffo adjusted two-proportion z-test)."""
    p1, p0 = (k1 + 1) / (n1 + 2), (k0 + 1) / (n0 + 2)
    se = math.sqrt(p1 * (1 - p1) / (n1 + 2) + p0 * (1 - p0) / (n0 + 2))
    return norm_sf((p1 - p0 - margin) / se)


def mean_increase_p(m1: float, v1: float, n1: int, m0: float, v0: float, n0: int,
                    ratio: float = 1.0) -> float:
    """One-sided Welch p of H0: mean1 <= ratio * mean0 (sample means, variances, sizes)."""
    a1, a0 = v1 / n1, ratio * ratio * v0 / n0
    diff = m1 - ratio * m0
    if a1 + a0 <= 0.0:
        return 0.0 if diff > 0 else 1.0
    df = (a1 + a0) ** 2 / (a1 * a1 / max(n1 - 1, 1) + a0 * a0 / max(n0 - 1, 1))
    return t_sf(diff / math.sqrt(a1 + a0), df)


@dataclass
class _Stats:
    n: int = 0
    hallucinated: int = 0
    feedback_n: int = 0
    feedback_negative: int = 0
    cost_n: int = 0
    cost_sum: float = 0.0
    cost_sq: float = 0.0
    refused: int = 0  # responses that refused (out of n); 0 in states from before it existed

    def __iadd__(self, other: _Stats) -> _Stats:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def cost(self) -> tuple[float, float]:
        """Mean and sample variance of per-request cost."""
        mean = self.cost_sum / self.cost_n
        var = (self.cost_sq - self.cost_n * mean * mean) / max(self.cost_n - 1, 1)
        return mean, max(var, 0.0)


@dataclass
class _Version:
    first_seen: float
    buckets: deque  # of [bucket index, _Stats]
    judged_worse: bool = False

    def total(self) -> _Stats:
        out = _Stats()
        for _, stats in self.buckets:
            out += stats
        return out


class PromptVersionComparator:
    """Judges whether an app's newest prompt version is worse than its last good one."""

    def __init__(self, min_samples: int = 100, alpha: float = 0.01, min_effect: float = 0.05,
                 cost_ratio: float = 1.5, window_s: float | None = None, max_versions: int = 20):
        if min_samples < 2 or not 0 < alpha < 1 or min_effect < 0 or cost_ratio <= 1:
            raise ValueError("need min_samples >= 2, 0 < alpha < 1, min_effect >= 0, "
                             "cost_ratio > 1")
        if window_s is not None and window_s <= 0:
            raise ValueError("window_s must be > 0 or None")
        self.min_samples, self.alpha, self.min_effect = min_samples, alpha, min_effect
        self.cost_ratio, self.window_s, self.max_versions = cost_ratio, window_s, max_versions
        self._apps: dict[str, dict[str, _Version]] = {}

    def observe(self, app: str, prompt_version: str, ts: float, hallucinated: bool,
                negative_feedback: bool | None = None,
                cost_usd: float | None = None, refused: bool = False) -> dict | None:
        """Count one LLM interaction; return a verdict dict or None."""
        versions = self._apps.setdefault(app, {})
        version = versions.get(prompt_version)
        if version is None:
            version = versions[prompt_version] = _Version(float(ts), deque())
            self._drop_oldest(versions)
        version.first_seen = min(version.first_seen, float(ts))
        self._add(version, ts, hallucinated, negative_feedback, cost_usd, refused)
        if self.window_s is not None:
            for v in versions.values():
                self._prune(v, ts, self.window_s)
        return self._judge(app, versions, float(ts))

    def to_state(self) -> dict:
        """Plain data: per app and prompt version (at most ``max_versions``), the first-seen
        time, the judged flag and the count buckets (one, or ``_BUCKETS`` with ``window_s``)."""
        return {"apps": {app: {name: {"first_seen": v.first_seen, "judged_worse": v.judged_worse,
                                      "buckets": [[i, asdict(stats)] for i, stats in v.buckets]}
                               for name, v in versions.items()}
                         for app, versions in self._apps.items()}}

    def load_state(self, state: dict) -> PromptVersionComparator:
        """Restore :meth:`to_state` into this comparator (built from the configuration)."""
        self._apps = {app: {name: _Version(v["first_seen"],
                                           deque([i, _Stats(**stats)] for i, stats in v["buckets"]),
                                           v["judged_worse"])
                            for name, v in versions.items()}
                      for app, versions in state["apps"].items()}
        return self

    def _add(self, version: _Version, ts: float, hallucinated: bool,
             negative_feedback: bool | None, cost_usd: float | None,
             refused: bool = False) -> None:
        index = 0 if self.window_s is None else math.floor(ts * _BUCKETS / self.window_s)
        if not version.buckets or version.buckets[-1][0] < index:
            version.buckets.append([index, _Stats()])
        stats = next((s for i, s in reversed(version.buckets) if i <= index),
                     version.buckets[0][1])
        stats.n += 1
        stats.hallucinated += bool(hallucinated)
        stats.refused += bool(refused)
        if negative_feedback is not None:
            stats.feedback_n += 1
            stats.feedback_negative += bool(negative_feedback)
        if cost_usd is not None:
            stats.cost_n += 1
            stats.cost_sum += float(cost_usd)
            stats.cost_sq += float(cost_usd) ** 2

    def _prune(self, version: _Version, ts: float, window_s: float) -> None:
        oldest = math.floor(ts * _BUCKETS / window_s) - _BUCKETS + 1
        while version.buckets and version.buckets[0][0] < oldest:
            version.buckets.popleft()

    def _drop_oldest(self, versions: dict[str, _Version]) -> None:
        while len(versions) > self.max_versions:
            del versions[min(versions, key=lambda k: versions[k].first_seen)]

    def _judge(self, app: str, versions: dict[str, _Version], ts: float) -> dict | None:
        order = sorted(versions, key=lambda k: versions[k].first_seen)
        newest = order[-1]
        if versions[newest].judged_worse:
            return None
        good = next((k for k in reversed(order[:-1]) if not versions[k].judged_worse), None)
        if good is None:
            return None
        metrics = self._compare(versions[newest].total(), versions[good].total())
        if not metrics:
            return None
        versions[newest].judged_worse = True
        return {"app": app, "from_version": newest, "to_version": good, "metrics": metrics,
                "ts": ts}

    def _compare(self, new: _Stats, good: _Stats) -> list[dict]:
        """Metrics on which ``new`` is significantly worse than ``good``."""
        out = []
        rates = (("hallucination.rate", new.hallucinated, new.n, good.hallucinated, good.n),
                 ("refusal.rate", new.refused, new.n, good.refused, good.n),
                 ("feedback.negative_rate", new.feedback_negative, new.feedback_n,
                  good.feedback_negative, good.feedback_n))
        for metric, k1, n1, k0, n0 in rates:
            if min(n1, n0) >= self.min_samples:
                p = proportion_increase_p(k1, n1, k0, n0, self.min_effect)
                if p < self.alpha:
                    out.append(_metric(metric, k1 / n1, k0 / n0, n1, n0, p))
        if min(new.cost_n, good.cost_n) >= self.min_samples:
            (m1, v1), (m0, v0) = new.cost(), good.cost()
            p = mean_increase_p(m1, v1, new.cost_n, m0, v0, good.cost_n)
            if m1 > self.cost_ratio * m0 and p < self.alpha:
                out.append(_metric("cost.per_request", m1, m0, new.cost_n, good.cost_n, p))
        return out


def _metric(metric: str, from_value: float, to_value: float, n_from: int, n_to: int,
            p: float) -> dict:
    return {"metric": metric, "from_value": from_value, "to_value": to_value,
            "n_from": n_from, "n_to": n_to, "p_value": p}
