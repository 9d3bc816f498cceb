"""Alerts & triggers: a filterable log on a timeline, evidence behind expanders, and webhook
delivery status per destination."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from ui import _client
from ui._charts import finish, legend, with_time, x_time
from ui._common import dim_label, fmt_num, health_badge, metric_label, utc
from ui._events import deliveries_by_ref, render_alert, render_trigger

LOG_LIMIT = 100
STATE_COLORS = {"firing": "#e03131", "resolved": "#2f9e44", "trigger": "#7048e8"}


def _events(alerts: list[dict], triggers: list[dict]) -> pd.DataFrame:
    rows = [{"ts": a["ts"], "entity": a["entity"], "kind": "alert", "state": a["state"],
             "severity": a.get("severity", ""), "metric": a.get("metric", ""),
             "row": f"{a['entity']} · {metric_label(a.get('metric', ''))}"
                    + (f" · {dim_label(a['dimension'])}" if a.get("dimension") else ""),
             "record": a} for a in alerts]
    rows += [{"ts": t["ts"], "entity": t["entity"], "kind": "trigger", "state": "trigger",
              "severity": "", "metric": t.get("type", ""),
              "row": f"{t['entity']} · {t.get('type', '').replace('_', ' ')} trigger",
              "record": t} for t in triggers]
    df = pd.DataFrame(rows, columns=["ts", "entity", "kind", "state", "severity", "metric",
                                     "row", "record"])
    return df.sort_values("ts", ascending=False)


def _filters(df: pd.DataFrame) -> pd.DataFrame:
    c = st.columns([2, 1.3, 1.6, 1.4, 2])
    entities = c[0].multiselect("Entity", sorted(df["entity"].unique()), key="entity",
                                bind="query-params", placeholder="all")
    kinds = c[1].pills("Kind", ["alert", "trigger"], selection_mode="multi",
                       default=["alert", "trigger"])
    states = c[2].pills("State", ["firing", "resolved"], selection_mode="multi",
                        default=["firing", "resolved"])
    severities = c[3].pills("Severity", ["critical", "warning"], selection_mode="multi",
                            default=["critical", "warning"])
    metrics = c[4].multiselect("Metric", sorted(df.loc[df["kind"] == "alert", "metric"].unique()),
                               format_func=metric_label, placeholder="all")
    keep = df["kind"].isin(kinds)
    if entities:
        keep &= df["entity"].isin(entities)
    alert = df["kind"] == "alert"
    keep &= ~alert | (df["state"].isin(states) & df["severity"].isin(severities))
    if metrics:
        keep &= ~alert | df["metric"].isin(metrics)
    return df[keep]


def _timeline(df: pd.DataFrame) -> alt.Chart:
    data = with_time(df.drop(columns=["record"]))
    rows = data["row"].nunique()
    chart = alt.Chart(data).mark_point(size=110, filled=True, opacity=0.9).encode(
        x=x_time(domain=(float(df["ts"].min()) - 5, float(df["ts"].max()) + 5)),
        y=alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=340)),
        color=alt.Color("state:N", scale=alt.Scale(domain=list(STATE_COLORS),
                                                   range=list(STATE_COLORS.values())),
                        legend=legend(None)),
        shape=alt.Shape("kind:N", scale=alt.Scale(domain=["alert", "trigger"],
                                                  range=["circle", "diamond"]), legend=None),
        tooltip=["row:N", "state:N", "severity:N", alt.Tooltip("when:N", title="when")])
    return finish(chart, max(60, 24 * rows))


def _destination_cards(rows: list[dict[str, Any]]) -> None:
    if not rows:
        st.caption("No webhook deliveries recorded (no `webhooks:` destinations configured, or "
                   "nothing fired yet).")
        return
    df = pd.DataFrame(rows)
    cols = st.columns(min(len(df["destination"].unique()), 4))
    for i, (dest, group) in enumerate(df.sort_values("ts").groupby("destination")):
        last = group.iloc[-1]
        messages = group.groupby("webhook_id")["ok"].max()
        attempts = group[group["status"] != -1]  # a dead letter is a give-up, not an attempt
        outcome = ("" if last["status"] == -1  # its error says "dead letter: ..."
                   else f" · HTTP {last['status'] or '—'} · {fmt_num(last['latency_ms'])} ms")
        n = len(attempts)
        with cols[i % len(cols)].container(border=True):
            st.markdown(f"**{dest}**")
            health_badge("delivered" if last["ok"] else "failed")
            st.metric("messages delivered", f"{int(messages.sum())} / {len(messages)}")
            st.caption(f"{n} attempt{'s' if n != 1 else ''} · last {utc(last['ts'])}{outcome}"
                       + (f"  \nerror: {last['error']}" if last["error"] else ""))
    with st.expander(f"All {len(df)} delivery attempts"):
        df = with_time(df)
        st.dataframe(df[["when", "destination", "kind", "entity", "attempt", "status", "ok",
                         "latency_ms", "error", "webhook_id"]], hide_index=True)


@st.fragment(run_every=15 if st.session_state.get("auto_refresh", True) else None)
def page() -> None:
    alerts = _client.fetch("alerts", limit=2000)
    triggers = _client.fetch("triggers", limit=500)
    deliveries = _client.fetch("deliveries", limit=2000)
    sent = deliveries_by_ref(deliveries)
    df = _events(alerts, triggers)
    if df.empty:
        st.success("No alerts or triggers yet. Tripwire is watching; default rules fire on "
                   "drift, missing or unseen values, accuracy decay, hallucination, negative "
                   "feedback and budget burn.", icon=":material/check_circle:")
    else:
        shown = _filters(df)
        st.caption(f"{len(shown)} of {len(df)} events · newest first · "
                   "hover the timeline for details")
        if not shown.empty:
            st.altair_chart(_timeline(shown), width="stretch")
        for rec in shown["record"].head(LOG_LIMIT):
            if rec.get("kind") == "trigger":
                with st.container(border=True):
                    render_trigger(rec, sent=sent)
            else:
                render_alert(rec, sent=sent)
        if len(shown) > LOG_LIMIT:
            st.caption(f"Showing the newest {LOG_LIMIT}; narrow the filters to see older ones.")
    st.subheader("Webhook deliveries", anchor=False)
    _destination_cards(deliveries)


st.title("Alerts & triggers", anchor=False)
page()
