"""Sections of the Model page: drift heatmap, feature drill-down, predictions, performance."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from tripwire_sdk.names import PREDICTION_COLUMN

from ui import _client
from ui._charts import distribution, drift_heatmap, lines, share_over_time
from ui._common import fmt_num, metric_label, utc, utc_short
from ui._frames import drift_cells, drift_windows, prediction_shares, series

__all__ = ["data_quality", "drift_section", "estimated_vs_realised", "feature_drilldown",
           "performance", "predictions", "window_features"]

PERF = ["accuracy", "f1", "precision", "recall", "auc", "logloss", "mae", "rmse"]
BOUNDED = {"accuracy", "f1", "precision", "recall", "auc"}
MAX_PRED_WINDOWS = 24


def window_features(model: str, start: float, end: float, limit: int = 20_000) -> list[dict]:
    """Raw feature rows of ``model`` with ``start <= ts <= end``."""
    return _client.fetch("features", model=model, start=repr(start), end=repr(end + 1e-3),
                         limit=limit)


def drift_section(df: pd.DataFrame, dom: Any, marks: pd.DataFrame, events: int) -> None:
    cells = drift_cells(df)
    if cells.empty:
        st.info(f"No drift windows yet. Drift is measured once the reference is complete (the "
                f"model's first `monitoring.reference_events` events, 2,000 by default); "
                f"{fmt_num(events)} events so far.", icon=":material/hourglass_top:")
        return
    st.altair_chart(drift_heatmap(cells, dom, marks), width="stretch")
    st.caption("Each cell is one window: the feature's drift statistic divided by its threshold "
               "(p-values are inverted), so ≥ 1 (orange → red) means drifted. Hover for values.")
    share = series(df, ["drift.share"])
    if not share.empty:
        thr = share["threshold"].dropna()
        st.altair_chart(lines(share, y_title="drifted", domain=dom, markers=marks,
                              thresholds=[float(thr.iloc[-1])] if len(thr) else [], height=110,
                              y_format="%", y_domain=[0, 1]), width="stretch")


def data_quality(df: pd.DataFrame, dom: Any, marks: pd.DataFrame) -> None:
    q = df[df["metric"].isin(["missing.share", "unseen.share"])].copy()
    q = q[q.groupby(["metric", "dimension"])["value"].transform("max") > 0]
    if q.empty:
        st.caption("Data quality: no missing values and no unseen categories in any window.")
        return
    q["series"] = q["dimension"].replace(PREDICTION_COLUMN, "prediction") + " · " + [
        metric_label(m) for m in q["metric"]]
    st.altair_chart(lines(q, y_title="share", domain=dom, markers=marks,
                          thresholds=[0.1], height=110, y_format="%"), width="stretch")


def _pick_feature(cells: pd.DataFrame) -> str:
    latest = cells[cells["window_end"] == cells["window_end"].max()]
    features = sorted(cells["dimension"].unique(), key=lambda f: (f == PREDICTION_COLUMN, f))
    worst = latest.sort_values("score", ascending=False)["dimension"].iloc[0]
    return st.selectbox("Feature", features, index=features.index(worst),
                        format_func=lambda f: "prediction" if f == PREDICTION_COLUMN else f,
                        help="Defaults to the most drifted feature of the latest window.")


def feature_drilldown(model: str, df: pd.DataFrame, dom: Any, marks: pd.DataFrame) -> None:
    cells = drift_cells(df)
    windows = drift_windows(df)
    if cells.empty or windows.empty:
        return
    left, mid, right = st.columns([2, 3, 1])
    with left:
        feature = _pick_feature(cells)
    ends = list(windows["window_end"])
    with mid:
        end = st.select_slider("Current window (ends at, UTC)", options=ends, value=ends[-1],
                               format_func=utc_short)
    with right:
        n_ref = int(st.number_input("Reference events", 100, 20_000, 2000, step=500,
                                    help="The model's first N events (the monitor's default "
                                         "reference)."))
    start = float(windows.loc[windows["window_end"] == end, "window_start"].iloc[0])
    one = cells[cells["dimension"] == feature].assign(series=lambda d: d["method"])
    stat, dist = st.columns(2)
    with stat:
        st.markdown(f"**{'prediction' if feature == '__prediction__' else feature}** — "
                    f"{one['method'].iloc[-1]} statistic per window")
        thr = one["threshold"].dropna()
        st.altair_chart(lines(one, y_title="statistic", domain=dom, markers=marks,
                              thresholds=[float(thr.iloc[-1])] if len(thr) else [], height=180),
                        width="stretch")
    with dist:
        ref = pd.DataFrame(_client.fetch("features", model=model, start=0, limit=n_ref))
        cur = pd.DataFrame(window_features(model, start, float(end)))
        if feature not in ref or feature not in cur:
            st.info("No raw values for this feature in the chosen windows.")
            return
        names = (f"reference (first {len(ref):,})", f"window to {utc_short(end)} ({len(cur):,})")
        st.markdown(f"**Distribution**: :gray[**■** {names[0]}] vs :blue[**■** {names[1]}]")
        st.altair_chart(distribution(ref[feature], cur[feature], names),
                        width="stretch")


def predictions(model: str, df: pd.DataFrame, dom: Any, marks: pd.DataFrame) -> None:
    windows = drift_windows(df).tail(MAX_PRED_WINDOWS)
    if windows.empty:
        st.caption("Prediction distribution appears once drift windows close.")
        return
    per_window = [(float(w.window_start), float(w.window_end),
                   window_features(model, float(w.window_start), float(w.window_end)))
                  for w in windows.itertuples()]
    shares = prediction_shares(per_window)
    if shares.empty:
        return
    if shares["category"].nunique() > 12:
        st.caption("Predictions are continuous; see the `prediction` row of the drift heatmap.")
        return
    st.altair_chart(share_over_time(shares, dom, marks, "share of predictions"),
                    width="stretch")
    if len(windows) == MAX_PRED_WINDOWS:
        st.caption(f"Last {MAX_PRED_WINDOWS} drift windows.")


def performance(df: pd.DataFrame, dom: Any, marks: pd.DataFrame) -> None:
    present = [m for m in PERF if (df["metric"] == m).any()]
    if not present:
        st.info("No accuracy yet: it needs ground truth. Send labels when you learn them: "
                "`emitter.label(\"<model>\", prediction_id=..., label=...)`.",
                icon=":material/label:")
        return
    default = [m for m in ("accuracy", "f1") if m in present] or present[:1]
    chosen = st.multiselect("Metrics", present, default=default, format_func=metric_label)
    perf = series(df, chosen)
    bounded = set(chosen) <= BOUNDED
    st.altair_chart(lines(perf, y_title="score", domain=dom, markers=marks, height=200,
                          y_domain=[0, 1] if bounded else None), width="stretch")
    cov = series(df, ["label.coverage"])
    if not cov.empty:
        st.altair_chart(lines(cov, y_title="labelled", domain=dom, height=90, y_format="%",
                              y_domain=[0, 1]), width="stretch")
    lat = series(df, ["label.latency_s"])
    if not lat.empty:
        st.altair_chart(lines(lat, y_title="seconds", domain=dom, height=90), width="stretch")


def estimated_vs_realised(df: pd.DataFrame, dom: Any, marks: pd.DataFrame) -> None:
    """Label-free estimate (CBPE, per drift window) and realised metric (per label window) on
    one chart, the estimate's band as a dashed line, and the gap once labels arrived."""
    present = [m for m in PERF if (df["metric"] == f"estimated.{m}").any()]
    if not present:
        st.caption("No label-free estimate yet: it needs predictions with a `score` "
                   "(P(class 1)) and, once, 2,000 labelled predictions of the version to "
                   "calibrate on.")
        return
    metric = st.selectbox("Estimated metric", present, format_func=metric_label)
    both = df[df["metric"].isin([f"estimated.{metric}", metric])].copy()
    both["series"] = ["estimated (no labels)" if m.startswith("estimated.") else "realised"
                      for m in both["metric"]]
    band = both.loc[both["series"] != "realised", "threshold"].dropna()
    st.altair_chart(lines(both, y_title=metric_label(metric), domain=dom, markers=marks,
                          height=180, thresholds=[float(band.iloc[-1])] if len(band) else []),
                    width="stretch")
    gap = series(df, [f"estimate_error.{metric}"]).assign(series="estimated - realised")
    if not gap.empty:
        st.altair_chart(lines(gap, y_title="gap", domain=dom, height=90, thresholds=[0.0]),
                        width="stretch")
    st.caption("The estimate needs no labels (calibrated scores, CBPE); the dashed line is its "
               "alert band's lower bound (realised spread on the first labelled windows × 3). "
               "The gap is the estimate's error on each drift window once its labels arrived.")


def latest_window_text(df: pd.DataFrame) -> str:
    if df.empty:
        return "no windows yet"
    return f"latest window ends {utc(float(df['window_end'].max()))}"
