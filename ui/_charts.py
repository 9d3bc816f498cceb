"""Altair chart builders. Every time axis is UTC and can share one domain, so alerts and
triggers (vertical rules) line up with the series they explain across charts.

Frames passed in carry ``time`` (tz-aware datetimes) and ``when`` (a preformatted UTC string
for tooltips); :func:`with_time` adds both from an epoch-seconds column.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import altair as alt
import numpy as np
import pandas as pd
from tripwire_sdk.names import PREDICTION_COLUMN

from ui._common import utc

__all__ = ["MARKER_CAPTION", "MARKER_COLORS", "VERSION_COLORS", "VERSION_PAIRS", "AnyChart",
           "distribution", "drift_heatmap", "finish", "legend", "lines", "share_over_time",
           "to_datetime", "with_markers", "with_time", "x_time", "y_axis"]

#: What the builders return: one chart, or layers (``alt.layer`` is typed to return a facet
#: chart too, when its charts share facet encodings; ours never do).
AnyChart = alt.Chart | alt.LayerChart | alt.FacetChart
_Chart = TypeVar("_Chart", bound=alt.TopLevelMixin)

MARKER_COLORS = {"alert firing": "#e03131", "alert resolved": "#2f9e44",
                 "retrain trigger": "#7048e8", "rollback trigger": "#7048e8"}
MARKER_CAPTION = (":red[**|** alert fired] · :green[**|** alert resolved] · "
                  ":violet[**|** trigger (retrain / rollback)] — vertical lines; hover for details")
VERSION_COLORS = ["#1c7ed6", "#f76707", "#2f9e44", "#ae3ec9", "#e64980", "#0ca678"]
VERSION_PAIRS = ["#1c7ed6", "#74c0fc", "#f76707", "#ffc078", "#2f9e44", "#8ce99a"]
SAMPLE_COLORS = ["#9e9e9e", "#1c7ed6"]  # reference grey, current blue
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")
Y_EXTENT = 110  # px reserved for every time chart's y axis (labels + title)


def to_datetime(seconds: pd.Series) -> pd.Series:
    """Epoch seconds → UTC datetimes at millisecond precision (JS dates parse no finer)."""
    return pd.to_datetime((seconds.astype(float) * 1000).round(), unit="ms", utc=True)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:23] + "Z"


def legend(title: str | None = None,
           orient: Literal["top", "bottom", "left", "right"] = "top") -> alt.Legend:
    """A one-row legend above the plot (right-hand legends would misalign stacked axes)."""
    return alt.Legend(title=title, orient=orient, direction="horizontal", titleOrient="left",
                      labelFontSize=11, titleFontSize=11, symbolSize=60, labelLimit=260)


def finish(chart: _Chart, height: int) -> _Chart:
    """Plot height ``height`` px plus legends and axes: autosize ``fit-x`` (Streamlit's default
    fit squeezes the plot when a legend sits above or below it)."""
    return chart.properties(height=height, autosize=AUTOSIZE)


def _time_format(domain: tuple[float, float] | None) -> str:
    span = (domain[1] - domain[0]) if domain else 86400.0
    return "%H:%M:%S" if span < 600 else ("%H:%M" if span < 2 * 86400 else "%b %d %H:%M")


def with_time(df: pd.DataFrame, column: str = "ts", out: str = "time") -> pd.DataFrame:
    """Add ``out`` (UTC datetime) and ``when`` (string) from epoch seconds in ``column``."""
    df = df.copy()
    df[out] = to_datetime(df[column])
    df["when"] = [utc(t) for t in df[column]]
    return df


def x_time(field: str = "time", domain: tuple[float, float] | None = None,
           title: str | None = "time (UTC)") -> alt.X:
    """A UTC time axis; ``domain`` in epoch seconds (shared across charts)."""
    scale = alt.Scale(type="utc")
    if domain is not None:  # ISO strings: Vega-Lite ignores a numeric domain on a utc scale here
        scale = alt.Scale(type="utc", domain=[_iso(domain[0]), _iso(domain[1])])
    return alt.X(f"{field}:T", scale=scale, title=title,
                 axis=alt.Axis(labelOverlap=True, grid=False, tickCount=8,
                               format=_time_format(domain)))


def _marker_layer(markers: pd.DataFrame, domain: tuple[float, float] | None) -> alt.Chart:
    kinds = list(MARKER_COLORS)
    return alt.Chart(markers).mark_rule(strokeWidth=2, strokeDash=[5, 3], opacity=0.85).encode(
        x=x_time(domain=domain),
        color=alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=list(MARKER_COLORS.values())),
                        legend=None),
        tooltip=[alt.Tooltip("kind:N"), alt.Tooltip("label:N", title="what"),
                 alt.Tooltip("when:N", title="when")])


def with_markers(chart: AnyChart, markers: pd.DataFrame | None,
                 domain: tuple[float, float] | None) -> AnyChart:
    """Layer alert/trigger rules over ``chart`` (independent colour scales)."""
    if markers is None or markers.empty:
        return chart
    return alt.layer(chart, _marker_layer(markers, domain)).resolve_scale(color="independent")


def y_axis(fmt: str | None = ",.4~g", **kw: Any) -> alt.Axis:
    """Fixed-width y axis, so stacked time charts share the same plot left edge."""
    if fmt is None:
        return alt.Axis(minExtent=Y_EXTENT, maxExtent=Y_EXTENT, **kw)
    return alt.Axis(format=fmt, minExtent=Y_EXTENT, maxExtent=Y_EXTENT, **kw)


def lines(df: pd.DataFrame, *, y_title: str, domain: tuple[float, float] | None = None,
          markers: pd.DataFrame | None = None, thresholds: Sequence[float] = (),
          series: str = "series", series_title: str = "series", height: int = 220,
          y_format: str | None = None, y_domain: Sequence[float] | None = None,
          colors: Sequence[str] | None = None) -> AnyChart:
    """Lines with points of ``value`` over ``time`` per ``series``, dashed threshold lines."""
    color_scale = alt.Scale(range=list(colors or VERSION_COLORS))
    y_scale = alt.Scale(domain=list(y_domain), clamp=True) if y_domain else alt.Scale(zero=False)
    base = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=22), strokeWidth=2).encode(
        x=x_time(domain=domain),
        y=alt.Y("value:Q", title=y_title, scale=y_scale, axis=y_axis(y_format or ",.4~g")),
        color=alt.Color(f"{series}:N", title=series_title, scale=color_scale,
                        legend=legend(None)),
        tooltip=[alt.Tooltip(f"{series}:N", title=series_title),
                 alt.Tooltip("value:Q", title=y_title, format=y_format or ".4g"),
                 alt.Tooltip("when:N", title="window end"), alt.Tooltip("n:Q", title="events")])
    layers: list[alt.Chart] = [base]
    if thresholds:
        rules = pd.DataFrame({"threshold": list(thresholds)})
        layers.append(alt.Chart(rules).mark_rule(color="#444", strokeDash=[6, 4]).encode(
            y="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", format=y_format or ".4g")]))
    return finish(with_markers(alt.layer(*layers), markers, domain), height)


def drift_heatmap(df: pd.DataFrame, domain: tuple[float, float] | None,
                  markers: pd.DataFrame | None) -> AnyChart:
    """Features × windows; colour = statistic normalised by its threshold (1 = at threshold).

    ``df``: feature, start, end (datetimes), score, value, threshold, method, when.
    """
    order = sorted(df["feature"].unique(), key=lambda f: (f == PREDICTION_COLUMN, f))
    rect = alt.Chart(df).mark_rect(stroke="white", strokeWidth=0.6).encode(
        x=x_time("start", domain), x2="end:T",
        y=alt.Y("feature:N", sort=order, title="feature",
                axis=y_axis(None, labelLimit=Y_EXTENT - 8)),
        color=alt.Color("score:Q", title=["statistic ÷", "threshold"],
                        scale=alt.Scale(domain=[0, 0.5, 1, 3], clamp=True,
                                        range=["#f4f9f4", "#c7e9c0", "#fdae6b", "#a50f15"]),
                        legend=alt.Legend(orient="top", direction="horizontal",
                                          gradientLength=220, titleOrient="left")),
        tooltip=[alt.Tooltip("feature:N"), alt.Tooltip("method:N"),
                 alt.Tooltip("value:Q", format=".4g", title="statistic"),
                 alt.Tooltip("threshold:Q", format=".4g"),
                 alt.Tooltip("score:Q", format=".2f", title="÷ threshold"),
                 alt.Tooltip("when:N", title="window end")])
    height = 30 * len(order)
    return finish(with_markers(rect, markers, domain), height)


def share_over_time(df: pd.DataFrame, domain: tuple[float, float] | None,
                    markers: pd.DataFrame | None, title: str = "share") -> AnyChart:
    """Stacked shares per window: ``start``, ``end``, ``category``, ``share``, ``when``."""
    df = df.sort_values(["window_end", "category"]).copy()
    df["top"] = df.groupby("window_end")["share"].cumsum()
    df["bottom"] = df["top"] - df["share"]
    bars = alt.Chart(df).mark_rect(opacity=0.9, stroke="white", strokeWidth=0.5).encode(
        x=x_time("start", domain), x2="end:T",
        y=alt.Y("bottom:Q", title=title, axis=y_axis("%"), scale=alt.Scale(domain=[0, 1])),
        y2="top:Q",
        color=alt.Color("category:N", title="prediction", legend=legend("prediction")),
        tooltip=[alt.Tooltip("category:N", title="prediction"),
                 alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("when:N", title="window end"),
                 alt.Tooltip("n:Q", title="events")])
    return finish(with_markers(bars, markers, domain), 150)


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and values.nunique() > 12


def distribution(ref: pd.Series, cur: pd.Series, names: tuple[str, str],
                 height: int = 180) -> alt.Chart:
    """Reference vs current distribution of one column: histogram or category shares."""
    ref, cur = ref.dropna(), cur.dropna()
    both = pd.concat([ref, cur])
    if _is_numeric(both):
        edges = np.histogram_bin_edges(both.astype(float), bins=30)
        parts = []
        for name, values in zip(names, (ref, cur), strict=True):
            counts, _ = np.histogram(values.astype(float), bins=edges)
            parts.append(pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "sample": name,
                                       "share": counts / max(len(values), 1)}))
        df = pd.concat(parts)
        chart = alt.Chart(df).mark_bar(opacity=0.55, binSpacing=0).encode(
            x=alt.X("lo:Q", title=None, bin="binned"), x2="hi:Q",
            y=alt.Y("share:Q", stack=None, title="share of events", axis=alt.Axis(format="%")),
            color=alt.Color("sample:N", scale=alt.Scale(domain=list(names), range=SAMPLE_COLORS),
                            legend=None),
            tooltip=["sample:N", alt.Tooltip("lo:Q", format=".4g", title="from"),
                     alt.Tooltip("hi:Q", format=".4g", title="to"),
                     alt.Tooltip("share:Q", format=".1%")])
        return finish(chart, height)
    parts = []
    for name, values in zip(names, (ref, cur), strict=True):
        shares = values.astype(str).value_counts(normalize=True)
        parts.append(pd.DataFrame({"category": shares.index, "share": shares.values,
                                   "sample": name}))
    df = pd.concat(parts)
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("category:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("sample:N", sort=list(names)),
        y=alt.Y("share:Q", title="share of events", axis=alt.Axis(format="%")),
        color=alt.Color("sample:N", scale=alt.Scale(domain=list(names), range=SAMPLE_COLORS),
                        legend=None),
        tooltip=["sample:N", "category:N", alt.Tooltip("share:Q", format=".1%")])
    return finish(chart, height)
