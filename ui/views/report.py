"""Drift report: Evidently's DataDriftPreset for a model, reference vs a chosen window, shown in
the page and downloadable as one self-contained HTML file."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import streamlit as st

from ui import _client
from ui._charts import finish
from ui._common import EMIT_PREDICTION, pick_entity, utc, utc_short
from ui._frames import drift_windows, signals_frame
from ui._report import DriftReport, build_report

MAX_ROWS = 20_000


@st.cache_data(ttl=600, show_spinner=False, max_entries=20)
def _report(base: str, model: str, ref: tuple[float, float, int],
            cur: tuple[float, float]) -> DriftReport:
    reference = _client.get("features", model=model, start=repr(ref[0]), end=repr(ref[1]),
                            limit=ref[2])
    current = _client.get("features", model=model, start=repr(cur[0]),
                          end=repr(cur[1] + 1e-3), limit=MAX_ROWS)
    title = f"Tripwire drift report: {model}, {utc(cur[0])} to {utc(cur[1])}"
    return build_report(reference, current, title)


def _reference(model: str, triggers: list[dict]) -> tuple[float, float, int, str]:
    options = ["First events of the model (the monitor's reference)"]
    suggested = next(((t["evidence"] or {}).get("suggested_reference") for t in triggers
                      if t.get("type") == "retrain"
                      and (t.get("evidence") or {}).get("suggested_reference")), None)
    if suggested:
        options.append("Suggested reference of the latest retrain trigger")
    left, right = st.columns([3, 1])
    choice = left.radio("Reference", options, horizontal=True)
    n = int(right.number_input("Reference events", 100, MAX_ROWS, 2000, step=500))
    if choice == options[0] or not suggested:  # the second option exists only with one
        return 0.0, 1e18, n, f"first {n:,} events"
    start, end = float(suggested["window_start"]), float(suggested["window_end"])
    return start, end + 1e-3, n, f"{utc(start)} → {utc(end)}"


def _scores(report: DriftReport) -> alt.LayerChart | alt.FacetChart:
    df = report.columns.assign(state=lambda d: d["drifted"].map({True: "drifted",
                                                                 False: "stable"}))
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y("column:N", sort="-x", title=None),
        x=alt.X("score:Q", title="statistic ÷ threshold (≥ 1 = drifted)"),
        color=alt.Color("state:N", scale=alt.Scale(domain=["drifted", "stable"],
                                                   range=["#c92a2a", "#74b816"]), title=None),
        tooltip=["column:N", "method:N", alt.Tooltip("value:Q", format=".4g"),
                 alt.Tooltip("threshold:Q", format=".4g"), "state:N"])
    rule = alt.Chart().mark_rule(strokeDash=[4, 3], color="#444").encode(x=alt.datum(1))
    return finish(alt.layer(chart, rule), 26 * len(df))


st.title("Drift report", anchor=False)
st.caption("Evidently's data-drift preset on raw events: a reference sample vs the window you "
           "pick. Use it to confirm a drift alert and to attach evidence to an incident.")
models = sorted(m["name"] for m in _client.fetch("entities")["models"])
if not models:
    st.info("**No model has sent predictions yet**, so there is nothing to compare.",
            icon=":material/inbox:")
    st.code(EMIT_PREDICTION, language="python")
    st.stop()

model = pick_entity("Model", models)
windows = drift_windows(signals_frame(
    _client.fetch("signals", entity=model, metric="drift.*", limit=100_000)))
if windows.empty:
    st.info("No drift windows yet: the model is still filling its reference sample.",
            icon=":material/hourglass_top:")
    st.stop()
triggers = _client.fetch("triggers", entity=model)
ref_start, ref_end, ref_n, ref_label = _reference(model, triggers)
ends = list(windows["window_end"])
last_end = st.select_slider("Current window: the one ending at (UTC)", options=ends,
                            value=ends[-1], format_func=utc_short)
position = ends.index(last_end)
count = int(st.number_input("Windows in the current sample", 1, position + 1, 1,
                            help="Widen the current sample backwards by whole windows.",
                            width=260))
cur_start = float(windows["window_start"].iloc[position - count + 1])

with st.spinner("Running Evidently…"):
    try:
        report = _report(_client.api_base(), model, (ref_start, ref_end, ref_n),
                         (cur_start, float(last_end)))
    except _client.ApiError as err:
        _client.show_error(err)
        st.stop()
    except ValueError as err:
        st.warning(f"Cannot build the report: {err}.", icon=":material/warning:")
        st.stop()

cols = st.columns([1, 1, 1, 2])
cols[0].metric("Drifted columns", f"{report.drifted} of {report.total}")
cols[1].metric("Reference events", f"{report.reference_rows:,}", help=ref_label)
cols[2].metric("Current events", f"{report.current_rows:,}",
               help=f"{utc(cur_start)} → {utc(float(last_end))}")
stamp = datetime.fromtimestamp(float(last_end), UTC).strftime("%Y%m%dT%H%M%SZ")
with cols[3]:
    st.download_button("Download report (HTML)", report.html, icon=":material/download:",
                       file_name=f"tripwire-drift-{model}-{stamp}.html", mime="text/html")
    st.caption("One self-contained file: opens offline.")
st.altair_chart(_scores(report), width="stretch")
st.subheader("Evidently report", anchor=False)
# Evidently lays out for ~1200 px; zoom the embedded copy (not the download) to fit the page.
st.iframe(report.html.replace("<head>", "<head><style>html{zoom:0.8}</style>", 1), height=1100)
