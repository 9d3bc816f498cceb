"""Model: drift by feature and window, drill-down, predictions, accuracy; alerts and retrain
triggers are drawn on every time axis."""

from __future__ import annotations

import streamlit as st

from ui._charts import MARKER_CAPTION
from ui._common import EMIT_PREDICTION, ago, fmt_num, utc
from ui._entity import entity_header, load_entity
from ui._events import open_alerts_panel, render_alert, render_trigger
from ui._frames import domain_of, markers
from ui._model_sections import (
    data_quality,
    drift_section,
    estimated_vs_realised,
    feature_drilldown,
    latest_window_text,
    performance,
    predictions,
)

DRIFT = ("drift.", "missing.", "unseen.")
PERF = ("accuracy", "f1", "precision", "recall", "auc", "logloss", "mae", "rmse", "error.",
        "estimated.", "estimate_error.")

st.title("Model", anchor=False)
view = load_entity("models", "Model", "**No model has sent predictions yet.** Emit them with "
                   "the SDK (labels later, for accuracy):", EMIT_PREDICTION, "model_range")
name, row, since, history = view.name, view.row, view.since, view.history
triggers, open_alerts, df = view.triggers, view.open_alerts, view.signals
sent = view.deliveries
dom = domain_of(df)

entity_header(view, f"{fmt_num(row['events'])} predictions · {fmt_num(row['labels'])} labels · "
                    f"versions {', '.join(row['versions'])} · last event "
                    f"{utc(row['last_seen'])} {ago(row['last_seen'])} · {latest_window_text(df)}")

st.subheader("What is wrong", anchor=False)
open_alerts_panel(open_alerts)
retrains = [t for t in triggers if t.get("type") == "retrain"]
if retrains:
    render_trigger(retrains[0], sent=sent)

drift_marks = markers(history, triggers, DRIFT, since)
perf_marks = markers(history, triggers, PERF, since)

st.subheader("Drift by feature", anchor=False)
st.caption(MARKER_CAPTION)
drift_section(df, dom, drift_marks, int(row["events"]))
data_quality(df, dom, drift_marks)

st.subheader("Feature drill-down", anchor=False)
feature_drilldown(name, df, dom, drift_marks)

st.subheader("Predictions over time", anchor=False)
predictions(name, df, dom, drift_marks)

st.subheader("Accuracy and labels", anchor=False)
performance(df, dom, perf_marks)

st.subheader("Estimated performance (without labels)", anchor=False)
estimated_vs_realised(df, dom, perf_marks)

st.subheader("Alert and trigger history", anchor=False)
if not history and not triggers:
    st.caption("No alerts or triggers for this model yet.")
for t in [t for t in triggers if not retrains or t is not retrains[0]]:
    render_trigger(t, sent=sent)
for a in history[:30]:
    render_alert(a, link=False, sent=sent)
if len(history) > 30:
    st.page_link("views/alerts.py", label=f"All {len(history)} state changes",
                 query_params={"entity": name})
