"""Sections of the LLM app page: quality by prompt version, cost and budget, tokens and
latency, least-grounded responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from ui import _client
from ui._charts import VERSION_COLORS, VERSION_PAIRS, lines
from ui._charts_llm import budget_burn, burn_projection, cost_bars, version_bars
from ui._common import utc
from ui._frames import series

__all__ = ["budget", "quality", "samples", "tokens_latency", "versions"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$~:])")


def quality(df: pd.DataFrame, dom: Any, marks: pd.DataFrame) -> None:
    if df[df["metric"] == "hallucination.rate"].empty:
        st.info("No quality windows yet: a window closes every `monitoring.llm_window_events` "
                "requests per prompt version (200 by default).", icon=":material/hourglass_top:")
        return
    left, right = st.columns(2)
    for col, metric, title in ((left, "hallucination.rate", "hallucination rate"),
                               (right, "feedback.negative_rate", "negative feedback")):
        with col:
            st.markdown(f"**{title.capitalize()}** by prompt version")
            st.altair_chart(lines(series(df, [metric], by="dimension"), y_title=title,
                                  domain=dom, markers=marks, thresholds=[0.3], height=180,
                                  y_format="%", series_title="version",
                                  colors=VERSION_COLORS), width="stretch")
    st.markdown("**Mean groundedness** (share of the response supported by its context)")
    st.altair_chart(lines(series(df, ["groundedness.mean"], by="dimension"), y_title="grounded",
                          domain=dom, markers=marks, height=130, y_format="%", y_domain=[0, 1],
                          series_title="version", colors=VERSION_COLORS), width="stretch")


def versions(app: str) -> None:
    rows = _client.fetch("llm/versions", app=app)
    if not rows:
        return
    st.markdown("**All traffic per prompt version**")
    fields = [("hallucination_rate", "hallucination rate", "%"),
              ("negative_feedback_rate", "negative feedback", "%"),
              ("cost_per_request", "cost / request", "$,.5f"),
              ("latency_p95", "latency p95 (ms)", ",.0f"),
              ("avg_output_tokens", "output tokens", ",.0f")]
    for col, (field, title, fmt) in zip(st.columns(len(fields)), fields, strict=True):
        col.altair_chart(version_bars(rows, field, title, fmt), width="stretch")
    with st.expander("Per-version numbers"):
        table = pd.DataFrame(rows)
        for column in ("first_seen", "last_seen"):
            table[column] = [utc(t) for t in table[column]]
        st.dataframe(table, hide_index=True)


def _period_end(dimension: str, start: float) -> float:
    label = dimension.split("@")[-1]
    if label.startswith("month:"):
        d = datetime.fromtimestamp(start, UTC)
        return d.replace(year=d.year + (d.month == 12), month=d.month % 12 + 1).timestamp()
    return start + 86400.0


def budget(df: pd.DataFrame, history: list[dict[str, Any]], marks: pd.DataFrame) -> None:
    used = df[df["metric"] == "budget.used_share"]
    if used.empty:
        st.caption("No budget configured for this app (`monitoring.budgets`).")
        return
    app_wide = used[~used["dimension"].str.contains("@")]
    used = app_wide if not app_wide.empty else used
    period = used.sort_values("window_end")["dimension"].iloc[-1]
    used = used[used["dimension"] == period].sort_values("window_end")
    start = float(used["window_start"].iloc[0])
    proj = burn_projection(used, _period_end(period, start))
    limit = next((a["evidence"].get("limit_usd") for a in history
                  if a.get("metric", "").startswith("budget.") and a.get("evidence")), None)
    cols = st.columns(4)
    spent = f"${proj['used'] * limit:,.2f} of ${limit:,.2f}" if limit else "—"
    kind, _, label = period.rpartition("@")[2].partition(":")
    cols[0].metric(f"Spent this {kind} ({label})", f"{proj['used']:.0%}", help=spent)
    projected = proj["projected_end"]
    cols[1].metric("Projected at period end",
                   f"{projected:.0%}" if projected < 10 else f"{projected:,.0f}× budget",
                   help="linear projection of the burn rate so far")
    if proj["exhausted_at"]:
        cols[2].metric("Budget exhausted at", utc(proj["exhausted_at"])[11:19] + " UTC")
    elif proj["runs_out_at"]:
        cols[2].metric("Runs out at", utc(proj["runs_out_at"])[11:19] + " UTC")
    else:
        cols[2].metric("Runs out", "not this period")
    cols[3].metric("Budget", f"${limit:,.2f}" if limit else "—")
    st.altair_chart(budget_burn(used, proj, marks), width="stretch")
    st.caption("Dotted lines: 50 % / 80 % / 100 % of the budget. Dashed vertical lines: the "
               "budget alerts. A dashed continuation is the linear projection to the end of "
               "the period (or to the moment the budget runs out).")


def cost(df: pd.DataFrame, dom: Any, marks: pd.DataFrame) -> None:
    per_window = series(df, ["cost.total"], by="dimension")
    if not per_window.empty:
        st.markdown("**Cost per window** by prompt version")
        st.altair_chart(cost_bars(per_window, dom, marks), width="stretch")


def tokens_latency(df: pd.DataFrame, dom: Any, marks: pd.DataFrame) -> None:
    left, right = st.columns(2)
    with left:
        _per_version_pair(df, "tokens", ("input", "output"), "**Tokens per request**",
                          "tokens", "version · kind", dom, marks)
    with right:
        _per_version_pair(df, "latency_ms", ("p50", "p95"), "**Latency percentiles**", "ms",
                          "version · percentile", dom, marks)


def _per_version_pair(df: pd.DataFrame, prefix: str, kinds: tuple[str, str], title: str,
                      y_title: str, series_title: str, dom: Any, marks: pd.DataFrame) -> None:
    """Two metrics ``<prefix>.<kind>`` as lines per prompt version (one colour pair each)."""
    data = series(df, [f"{prefix}.{k}" for k in kinds], by="dimension")
    data["series"] = data["dimension"] + " · " + data["metric"].str[len(prefix) + 1:]
    st.markdown(title)
    st.altair_chart(lines(data, y_title=y_title, domain=dom, markers=marks, height=170,
                          series_title=series_title, colors=VERSION_PAIRS), width="stretch")


def _escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _highlight(text: str, unsupported: list[str]) -> str:
    """Markdown-escaped text with the unsupported claims on a red background."""
    out = _escape(text)
    for claim in sorted({c for c in unsupported if c}, key=len, reverse=True):
        escaped = _escape(claim)
        out = re.sub(rf"(?<![\w\\]){re.escape(escaped)}(?!\w)",
                     lambda m: f":red-background[{m.group(0)}]", out)
    return out


def samples(app: str) -> None:
    rows = _client.fetch("llm/samples", app=app, limit=20)
    if not rows:
        st.caption("No scored responses yet (groundedness needs `context` documents).")
        return
    if all(not (r.get("response") or r.get("prompt")) for r in rows):
        st.info("Prompt and response text are not stored (`store_text` is off), so only the "
                "scores are shown.", icon=":material/visibility_off:")
    for i, r in enumerate(rows):
        flag = "hallucinated" if r.get("hallucinated") else "grounded"
        title = (f"groundedness {r['groundedness']:.2f} · {flag} · {r['prompt_version']} · "
                 f"{r['llm_model']} · {utc(r['ts'])}")
        with st.expander(title, expanded=i == 0,
                         icon=":material/report:" if r.get("hallucinated") else None):
            if r.get("prompt"):
                st.markdown(f"**Prompt**  \n{_escape(r['prompt'])}")
            if r.get("response"):
                st.markdown(f"**Response**  \n{_highlight(r['response'], r['unsupported'])}")
            else:
                st.caption("Response text not stored.")
            if r.get("reasons"):
                st.markdown("**Why:**  \n" + "  \n".join(f"- {_escape(x)}" for x in r["reasons"]))
            elif r.get("unsupported"):
                st.markdown("**Not supported by the context:** " +
                            ", ".join(f"`{c}`" for c in r["unsupported"]))
            st.caption(f"event `{r['event_id']}`")
