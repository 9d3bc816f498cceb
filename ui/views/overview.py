"""Overview: every model and LLM app with its health, traffic, open alerts and latest action."""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st

from ui import _client
from ui._charts import VERSION_COLORS, finish, legend, x_time
from ui._common import (
    EMIT_LLM,
    EMIT_PREDICTION,
    ago,
    compact,
    entity_health,
    fmt_num,
    health_badge,
    utc,
)
from ui._events import entity_link, merge_open, open_alerts_panel, trigger_text
from ui._frames import series, signals_frame

SPARK = {"model": ("accuracy", "drift.share"), "app": ("hallucination.rate",)}


def _sparkline(entity: str, kind: str) -> None:
    metrics = SPARK[kind]
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        rows += _client.fetch("signals", entity=entity, metric=metric, limit=100_000)
    df = signals_frame(rows)
    if df.empty:
        st.caption("No windows closed yet.")
        return
    by = "dimension" if kind == "app" else "metric"
    df = series(df, metrics, by=by)
    st.caption("hallucination rate by prompt version" if kind == "app"
               else "accuracy and share of drifted features")
    chart = alt.Chart(df).mark_line(strokeWidth=1.8).encode(
        x=x_time(title=None), y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("series:N", title=None, legend=legend(None),
                        scale=alt.Scale(range=VERSION_COLORS)),
        tooltip=["series:N", alt.Tooltip("value:Q", format=".3f"), "when:N"],
    )
    chart = finish(chart, 90)
    st.altair_chart(chart, width="stretch")


def _card(row: dict[str, Any], kind: str, open_alerts: list[dict], triggers: list[dict]) -> None:
    name = row["name"]
    with st.container(border=True):
        info, nums, spark = st.columns([2.2, 2.6, 5.2])
        with info:
            st.subheader(name, anchor=False)
            health_badge(entity_health(row, open_alerts))
            st.caption(f"last event {utc(row['last_seen'])} {ago(row['last_seen'])}  \n"
                       f"versions {', '.join(row.get('versions') or []) or '—'}")
            entity_link(name, kind, f"Open {name}")
        with nums:
            a, b = st.columns(2)
            a.metric("events", compact(row["events"]), help=f"{row['events']:,} events")
            b.metric("last minute", compact(row["events_last_min"]),
                     help="events in the last minute of event time")
            c, d = st.columns(2)
            if kind == "model":
                c.metric("labels", compact(row.get("labels", 0)))
            else:
                c.metric("cost", f"${row.get('total_cost_usd', 0):,.2f}")
            d.metric("open alerts", row["open_alerts"])
        with spark:
            _sparkline(name, kind)
            mine = [t for t in triggers if t["entity"] == name]
            if mine:
                st.markdown(trigger_text(mine[0]))


def _grid(rows: list[dict], kind: str, open_alerts: list[dict], triggers: list[dict]) -> None:
    for row in rows:
        _card(row, kind, open_alerts, triggers)


def _empty() -> None:
    st.info("**No events yet.** Emit predictions and LLM interactions with the SDK; "
            "they show up here within seconds. (Or run `tripwire demo` for synthetic traffic.)",
            icon=":material/inbox:")
    st.markdown("**A model** — predictions now, labels when the truth is known:")
    st.code(EMIT_PREDICTION, language="python", wrap_lines=True)
    st.markdown("**An LLM app** — pass the retrieved context so groundedness can be scored:")
    st.code(EMIT_LLM, language="python", wrap_lines=True)


@st.fragment(run_every=15 if st.session_state.get("auto_refresh", True) else None)
def overview() -> None:
    stats = _client.fetch("stats")
    entities = _client.fetch("entities")
    if not entities["models"] and not entities["apps"]:
        _empty()
        return
    open_alerts = merge_open(_client.fetch("alerts/open"), _client.fetch("alerts", limit=1000))
    triggers = _client.fetch("triggers", limit=50)
    cols = st.columns(5)
    cols[0].metric("predictions", fmt_num(stats["predictions"]))
    cols[1].metric("labels", fmt_num(stats["labels"]))
    cols[2].metric("LLM events", fmt_num(stats["llm"]))
    cols[3].metric("open alerts", len(open_alerts))
    cols[4].metric("dead letters", fmt_num(stats["deadletter"]),
                   help="malformed events set aside instead of crashing the worker")
    st.subheader("Firing now", anchor=False)
    open_alerts_panel(open_alerts, link=True)
    if entities["models"]:
        st.subheader("Models", anchor=False)
        _grid(entities["models"], "model", open_alerts, triggers)
    if entities["apps"]:
        st.subheader("LLM apps", anchor=False)
        _grid(entities["apps"], "app", open_alerts, triggers)
    if stats["deadletter"]:
        title = f":orange[:material/warning:] {stats['deadletter']} dead-lettered messages"
        with st.expander(title):
            for d in _client.fetch("deadletter", limit=20):
                st.markdown(f"{utc(d['ts'])} · `{d['source_topic']}` · {d['reason']}")
                st.code(str(d.get("original", ""))[:500], language="json")


st.title("Overview", anchor=False)
st.caption("What is wrong, since when, and what Tripwire did about it.")
overview()
