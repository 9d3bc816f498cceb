"""LLM app: quality by prompt version, rollback triggers with evidence, cost vs budget,
tokens and latency, and the least-grounded responses."""

from __future__ import annotations

import streamlit as st

from ui._charts import MARKER_CAPTION
from ui._common import EMIT_LLM, ago, fmt_num, utc
from ui._entity import entity_header, load_entity
from ui._events import open_alerts_panel, render_alert, render_trigger
from ui._frames import domain_of, markers
from ui._llm_ops import golden, safety
from ui._llm_sections import budget, cost, quality, samples, tokens_latency, versions

QUALITY = ("hallucination.", "feedback.", "groundedness.")

st.title("LLM app", anchor=False)
view = load_entity("apps", "App", "**No LLM app has sent interactions yet.** Emit them with "
                   "the SDK; pass the retrieved `context` so Tripwire can score groundedness:",
                   EMIT_LLM, "llm_range")
name, row, since, history = view.name, view.row, view.since, view.history
triggers, open_alerts, df = view.triggers, view.open_alerts, view.signals
sent = view.deliveries
per_version = df[~df["metric"].str.startswith("budget.")]
dom = domain_of(per_version)

entity_header(view, f"{fmt_num(row['events'])} requests · ${row['total_cost_usd']:,.2f} total · "
                    f"prompt versions {', '.join(row['versions'])} · last event "
                    f"{utc(row['last_seen'])} {ago(row['last_seen'])}")

st.subheader("What is wrong", anchor=False)
open_alerts_panel(open_alerts)
rollbacks = [t for t in triggers if t.get("type") == "prompt_rollback"]
for i, t in enumerate(rollbacks[:3]):
    render_trigger(t, expanded=i == 0, sent=sent)

quality_marks = markers(history, triggers, QUALITY, since)
st.subheader("Quality by prompt version", anchor=False)
st.caption(MARKER_CAPTION)
quality(df, dom, quality_marks)
versions(name)

st.subheader("Golden set", anchor=False)
golden(name)

st.subheader("Safety", anchor=False)
safety(df, dom, markers(history, triggers, ("safety.", "refusal.", "injection."), since), name)

st.subheader("Cost and budget", anchor=False)
budget(df, history, markers(history, [], ("budget.",), since))
cost(df, dom, markers(history, triggers, ("cost.",), since))

st.subheader("Tokens and latency", anchor=False)
tokens_latency(df, dom, markers(history, triggers, ("latency", "tokens"), since))

st.subheader("Least-grounded responses", anchor=False)
samples(name)

st.subheader("Alert and trigger history", anchor=False)
if not history and not triggers:
    st.caption("No alerts or triggers for this app yet.")
for a in history[:30]:
    render_alert(a, link=False, sent=sent)
if len(history) > 30:
    st.page_link("views/alerts.py", label=f"All {len(history)} state changes",
                 query_params={"entity": name})
