"""Chart builders for LLM apps: per-version comparisons, cost per window, budget burn."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from ui._charts import (
    VERSION_COLORS,
    AnyChart,
    finish,
    legend,
    to_datetime,
    with_markers,
    x_time,
    y_axis,
)
from ui._common import utc

__all__ = ["budget_burn", "burn_projection", "cost_bars", "version_bars"]

BUDGET_STEPS = (0.5, 0.8, 1.0)


def version_bars(versions: list[dict[str, Any]], field: str, title: str, fmt: str,
                 height: int = 130) -> alt.Chart:
    """One small bar chart of ``field``: prompt versions side by side."""
    df = pd.DataFrame(versions)
    chart = alt.Chart(df).mark_bar(size=30).encode(
        x=alt.X("prompt_version:N", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{field}:Q", title=None, axis=alt.Axis(format=fmt)),
        color=alt.Color("prompt_version:N", legend=None, scale=alt.Scale(range=VERSION_COLORS)),
        tooltip=["prompt_version:N", alt.Tooltip(f"{field}:Q", format=fmt, title=title),
                 alt.Tooltip("n:Q", title="requests")])
    return finish(chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=13)),
                  height)


def cost_bars(df: pd.DataFrame, domain: Any, markers: pd.DataFrame | None) -> AnyChart:
    """Cost per window stacked by prompt version (``cost.total`` signals)."""
    bars = alt.Chart(df).mark_rect(opacity=0.75, stroke="white", strokeWidth=0.5).encode(
        x=x_time("start", domain), x2="end:T",
        y=alt.Y("value:Q", title="USD / window", axis=y_axis("$,.3~f")), y2=alt.datum(0),
        color=alt.Color("series:N", title="version", legend=legend("version"),
                        scale=alt.Scale(range=VERSION_COLORS)),
        tooltip=[alt.Tooltip("series:N", title="version"),
                 alt.Tooltip("value:Q", format="$,.4f", title="cost"),
                 alt.Tooltip("n:Q", title="requests"), alt.Tooltip("when:N", title="window end")])
    return finish(with_markers(bars, markers, domain), 140)


def burn_projection(used: pd.DataFrame, period_end: float) -> dict[str, Any]:
    """Linear burn from the period start through the latest point: exhaustion time (if any),
    projected share at period end, and the dashed projection segment."""
    last = used.iloc[-1]
    start, t, u = float(last["window_start"]), float(last["window_end"]), float(last["value"])
    elapsed = max(t - start, 1e-9)
    out: dict[str, Any] = {"used": u, "projected_end": u * (period_end - start) / elapsed,
                           "exhausted_at": None, "runs_out_at": None, "segment": None}
    over = used[used["value"] >= 1.0]
    if not over.empty:
        out["exhausted_at"] = float(over["window_end"].iloc[0])
        return out
    rate = u / elapsed
    if rate > 0:
        t_out = start + 1.0 / rate
        stop = min(period_end, t_out)
        out["runs_out_at"] = t_out if t_out <= period_end else None
        out["segment"] = pd.DataFrame({"ts": [t, stop], "value": [u, u + rate * (stop - t)]})
    return out


def budget_burn(used: pd.DataFrame, projection: dict[str, Any],
                markers: pd.DataFrame | None) -> AnyChart:
    """Budget used share over time (solid), the linear projection (dashed), 50/80/100% lines."""
    used = used.assign(kind="spent")
    layers: list[alt.Chart] = []
    seg = projection.get("segment")
    frames = [used[["window_end", "value", "kind"]].rename(columns={"window_end": "ts"})]
    if seg is not None:
        frames.append(seg.assign(kind="projected"))
    df = pd.concat(frames, ignore_index=True)
    df["time"] = to_datetime(df["ts"])
    df["when"] = [utc(t) for t in df["ts"]]
    domain = (float(df["ts"].min()), float(df["ts"].max()))
    layers.append(alt.Chart(df).mark_line(strokeWidth=2.5).encode(
        x=x_time(domain=domain), y=alt.Y("value:Q", title="budget used", axis=y_axis("%")),
        strokeDash=alt.StrokeDash("kind:N", legend=legend(None) if seg is not None else None,
                                  scale=alt.Scale(domain=["spent", "projected"],
                                                  range=[[1, 0], [6, 4]])),
        tooltip=["kind:N", alt.Tooltip("value:Q", format=".1%", title="used"),
                 alt.Tooltip("when:N", title="at")]))
    steps = pd.DataFrame({"y": list(BUDGET_STEPS),
                          "label": [f"{s:.0%}" for s in BUDGET_STEPS]})
    layers.append(alt.Chart(steps).mark_rule(strokeDash=[2, 3]).encode(
        y="y:Q", color=alt.Color("label:N", legend=None,
                                 scale=alt.Scale(domain=["50%", "80%", "100%"],
                                                 range=["#adb5bd", "#f08c00", "#e03131"]))))
    chart = alt.layer(*layers).resolve_scale(color="independent")
    return finish(with_markers(chart, markers, domain), 180)
