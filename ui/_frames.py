"""Pure pandas shaping of read-API answers into chart frames (no Streamlit, no HTTP)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from tripwire_sdk.names import PREDICTION_COLUMN

from ui._charts import to_datetime, with_time
from ui._common import metric_label

__all__ = ["P_VALUE_METHODS", "domain_of", "drift_cells", "drift_windows", "markers",
           "prediction_shares", "series", "signals_frame"]

P_VALUE_METHODS = {"ks", "chisquare"}  # drift when the p-value is *below* the threshold
_NOT_PER_FEATURE = {"drift.share", "drift.change", "drift.burst"}
_SIGNAL_COLUMNS = ["entity_type", "entity", "metric", "dimension", "value", "threshold", "n",
                   "window_start", "window_end", "ts"]


def signals_frame(rows: list[dict[str, Any]], since: float | None = None) -> pd.DataFrame:
    """Signals as a frame with ``time`` (window end), ``start``/``end`` datetimes and ``when``."""
    df = pd.DataFrame(rows, columns=_SIGNAL_COLUMNS)
    if since is not None:
        df = df[df["window_end"] >= since]
    df = df.astype({"value": float, "window_start": float, "window_end": float})
    df = with_time(df, "window_end")
    df["start"] = to_datetime(df["window_start"])
    df["end"] = df["time"]
    return df


def series(df: pd.DataFrame, metrics: Iterable[str], by: str = "metric") -> pd.DataFrame:
    """Rows of ``metrics`` with a ``series`` column: the metric's label or the ``by`` column."""
    out = df[df["metric"].isin(list(metrics))].copy()
    out["series"] = [metric_label(m) for m in out["metric"]] if by == "metric" else out[by]
    return out


def drift_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Per-feature drift statistics normalised by their threshold (score 1 = at threshold)."""
    d = df[df["metric"].str.startswith("drift.") & ~df["metric"].isin(_NOT_PER_FEATURE)].copy()
    if d.empty:
        return d.assign(feature=[], method=[], score=[])
    d["method"] = d["metric"].str[6:]
    d["feature"] = d["dimension"].replace(PREDICTION_COLUMN, "prediction")
    thr = d["threshold"].astype(float)
    val = d["value"].astype(float)
    pval = d["method"].isin(P_VALUE_METHODS)
    d["score"] = (val / thr).where(~pval, thr / val.clip(lower=1e-12))
    d.loc[thr.isna() | (thr <= 0), "score"] = float("nan")
    return d


def drift_windows(df: pd.DataFrame) -> pd.DataFrame:
    """The drift windows (one row each, oldest first): window_start, window_end, n, share."""
    w = df[df["metric"] == "drift.share"]
    if w.empty:
        w = drift_cells(df)
    w = w.drop_duplicates(["window_start", "window_end"]).sort_values("window_end")
    return w[["window_start", "window_end", "n", "value"]].rename(columns={"value": "share"})


def domain_of(*frames: pd.DataFrame, column_lo: str = "window_start",
              column_hi: str = "window_end") -> tuple[float, float] | None:
    """(min, max) epoch seconds across the frames' windows, a little padded."""
    lo = [f[column_lo].min() for f in frames if not f.empty]
    hi = [f[column_hi].max() for f in frames if not f.empty]
    if not lo:
        return None
    a, b = float(min(lo)), float(max(hi))
    pad = max((b - a) * 0.01, 1.0)
    return a - pad, b + pad


def markers(alerts: Sequence[dict[str, Any]], triggers: Sequence[dict[str, Any]],
            prefixes: Sequence[str] | None = None, since: float | None = None) -> pd.DataFrame:
    """Alert state changes and triggers as vertical-rule rows: time, when, kind, label."""
    rows = []
    for a in alerts:
        if prefixes and not any(a.get("metric", "").startswith(p) for p in prefixes):
            continue
        dim = f" · {a['dimension']}" if a.get("dimension") else ""
        rows.append({"ts": a["ts"], "kind": f"alert {a.get('state', 'firing')}",
                     "label": f"{metric_label(a.get('metric', ''))}{dim}"})
    for t in triggers:
        kind = "retrain trigger" if t.get("type") == "retrain" else "rollback trigger"
        rows.append({"ts": t["ts"], "kind": kind, "label": "; ".join(t.get("reason") or [])})
    df = pd.DataFrame(rows, columns=["ts", "kind", "label"])
    if since is not None:
        df = df[df["ts"] >= since]
    if df.empty:
        return df.assign(time=pd.Series(dtype="datetime64[ns, UTC]"), when=[])
    # One rule per (time, kind): several alerts firing at once read as one line with all labels.
    df = df.groupby(["ts", "kind"], as_index=False).agg(label=("label", lambda s: ", ".join(s)))
    return with_time(df)


def prediction_shares(per_window: Sequence[tuple[float, float, list[dict[str, Any]]]]
                      ) -> pd.DataFrame:
    """Share of each predicted class per window, from (start, end, feature rows) triples."""
    rows = []
    for start, end, feats in per_window:
        if not feats:
            continue
        counts = pd.Series([str(f.get(PREDICTION_COLUMN)) for f in feats]).value_counts()
        for category, count in counts.items():
            rows.append({"window_start": start, "window_end": end, "category": category,
                         "share": count / len(feats), "n": len(feats)})
    df = pd.DataFrame(rows, columns=["window_start", "window_end", "category", "share", "n"])
    df = with_time(df, "window_end", out="end")
    df["start"] = to_datetime(df["window_start"])
    return df
