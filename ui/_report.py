"""Evidently drift reports from raw feature rows (reference vs current). No Streamlit here.

Evidently's HTML is self-contained (its JS and fonts are inlined, ~3.7 MB); it opens offline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tripwire_sdk.names import PREDICTION_COLUMN, TS_COLUMN

__all__ = ["DriftReport", "build_report", "frame", "safe_html"]

PREDICTION = PREDICTION_COLUMN
# Evidently inlines its data as raw JSON in a <script>: a feature value "</script><script>..."
# would run in the viewer's browser. JSON text has no <, > or & outside strings, and inside
# strings their \u escapes mean the same, so escaping them in the data is lossless.
_DATA_START = re.compile(r"<script>\s*var (\w+) = ")
_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


@dataclass(frozen=True)
class DriftReport:
    html: str
    columns: pd.DataFrame  # column, method, value, threshold, drifted, score
    drifted: int
    total: int
    reference_rows: int
    current_rows: int


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Feature rows as a frame; the prediction column is named ``prediction`` and the event
    time the API adds (``__ts__``) is not a feature."""
    return pd.DataFrame(rows).drop(columns=[TS_COLUMN], errors="ignore").rename(
        columns={PREDICTION: "prediction"})


def safe_html(html: str) -> str:
    """Evidently's HTML with its inlined JSON data unable to close the script tag.

    The JSON values are located by decoding them (not by searching for ``</script>``, which
    the data itself may contain); raises ValueError if the layout is not Evidently's."""
    start = _DATA_START.search(html)
    if start is None:
        raise ValueError("unexpected Evidently HTML: data block not found")
    decoder, pos, out = json.JSONDecoder(), start.end(), [html[:start.end()]]
    for _ in range(2):  # the dashboard, then additional_graphs_<id>
        _, end = decoder.raw_decode(html, pos)
        out.append(re.sub(r"[<>&]", lambda m: _UNSAFE[m.group(0)], html[pos:end]))
        nxt = re.compile(rf";\s*var additional_graphs_{start.group(1)} = ").match(html, end)
        if nxt is None:
            out.append(html[end:])
            return "".join(out)
        out.append(html[end:nxt.end()])
        pos = nxt.end()
    raise ValueError("unexpected Evidently HTML layout")


def _definition(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[list[str], list[str]]:
    numeric, categorical = [], []
    for col in ref.columns.intersection(cur.columns):
        both = pd.concat([ref[col], cur[col]]).dropna()
        if both.empty:
            continue
        if pd.api.types.is_numeric_dtype(both) and both.nunique() > 12:
            numeric.append(col)
        else:
            categorical.append(col)
    return numeric, categorical


def _columns(snapshot_dict: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for metric in snapshot_dict.get("metrics", []):
        config = metric.get("config") or {}
        if not str(config.get("type", "")).endswith("ValueDrift"):
            continue
        method, value = str(config.get("method", "")), float(metric.get("value") or 0.0)
        threshold = float(config.get("threshold") or 0.0)
        p_value = "p_value" in method
        drifted = value < threshold if p_value else value >= threshold
        score = (threshold / max(value, 1e-12)) if p_value else value / (threshold or 1.0)
        rows.append({"column": config.get("column"), "method": method, "value": value,
                     "threshold": threshold, "drifted": drifted, "score": score})
    return pd.DataFrame(rows, columns=["column", "method", "value", "threshold", "drifted",
                                       "score"])


def build_report(reference: list[dict[str, Any]], current: list[dict[str, Any]],
                 title: str = "Tripwire drift report") -> DriftReport:
    """Run Evidently's ``DataDriftPreset`` on the two samples; raise ValueError if either is
    empty or they share no column."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref, cur = frame(reference), frame(current)
    if ref.empty or cur.empty:
        raise ValueError("both the reference and the current window need events")
    numeric, categorical = _definition(ref, cur)
    if not numeric and not categorical:
        raise ValueError("the reference and the current window share no column")
    for col in categorical:
        ref[col], cur[col] = ref[col].astype(str), cur[col].astype(str)
    cols = numeric + categorical
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(
        current_data=Dataset.from_pandas(cur[cols], data_definition=definition),
        reference_data=Dataset.from_pandas(ref[cols], data_definition=definition))
    html = safe_html(snapshot.get_html_str(as_iframe=False))
    html = html.replace("<head>", f"<head>\n<title>{title}</title>", 1)
    table = _columns(snapshot.dict())
    return DriftReport(html=html, columns=table, drifted=int(table["drifted"].sum()),
                       total=len(table), reference_rows=len(ref), current_rows=len(cur))
