"""LLM app page, operations beyond the live windows: safety rates per prompt version and the
golden-set gate's runs, each compared with the last version that passed."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ui import _client
from ui._charts import VERSION_COLORS, lines
from ui._charts_llm import version_bars
from ui._common import utc
from ui._frames import series

__all__ = ["golden", "safety", "SAFETY"]

# (metric, title, default alert threshold: detectors.rules.safety_rules)
SAFETY = (("safety.pii_rate", "responses with PII", 0.1),
          ("safety.secret_rate", "responses with secrets", None),
          ("refusal.rate", "refusals", 0.25),
          ("injection.rate", "prompts with injection markers", 0.05))


def safety(df: pd.DataFrame, dom: Any, marks: pd.DataFrame, app: str) -> None:
    """Four per-version rate charts (one point per window) and all-traffic rates."""
    if df[df["metric"].isin([m for m, _, _ in SAFETY])].empty:
        st.caption("No safety windows yet: they close with the quality windows.")
        return
    cells = [c for _ in range(2) for c in st.columns(2)]
    for col, (metric, title, threshold) in zip(cells, SAFETY, strict=True):
        data = series(df, [metric], by="dimension")
        top = max(float(data["value"].max()) if not data.empty else 0.0, threshold or 0.02)
        with col:
            st.markdown(f"**{title[0].upper() + title[1:]}**")
            st.altair_chart(lines(data, y_title=title, domain=dom, markers=marks, height=150,
                                  y_format="%", y_domain=[0, top * 1.25],
                                  thresholds=[threshold] if threshold else [],
                                  series_title="version", colors=VERSION_COLORS),
                            width="stretch")
    rows = _client.fetch("llm/versions", app=app)
    if rows and "pii_rate" in rows[0]:
        table = pd.DataFrame(rows)[["prompt_version", "n", "pii_rate", "secret_rate",
                                    "refusal_rate", "injection_rate"]]
        st.dataframe(table, hide_index=True, column_config={
            k: st.column_config.NumberColumn(format="percent")
            for k in ("pii_rate", "secret_rate", "refusal_rate", "injection_rate")})
    st.caption("Dashed lines: the default alert thresholds (any secret alerts at once). PII "
               "and secrets are looked for in responses, injection markers in prompts.")


def _delta(value: float | None, base: float | None, fmt: str, unit: str = "") -> str | None:
    if value is None or base is None:
        return None
    if abs(value - base) < 1e-9:
        return f"±0{unit} (same)"
    return f"{format(value - base, fmt)}{unit}"


def _headline(run: dict[str, Any]) -> None:
    base = run.get("baseline")
    verdict = ":green[PASS]" if run["passed"] else ":red[FAIL]"
    against = (f" · compared with **{base['prompt_version']}**, the last version that passed "
               f"({utc(base['ts'])})") if base else " · no earlier passing version to compare"
    st.markdown(f"Latest run: **{run['prompt_version']}** {verdict} · {run['n_passed']}/"
                f"{run['n_cases']} cases · model `{run['llm_model']}` · {utc(run['ts'])}"
                + against)
    b = base or {}
    cols = st.columns(4)
    base_rate = b["pass_rate"] * 100 if "pass_rate" in b else None
    cols[0].metric("Pass rate", f"{run['pass_rate']:.0%}",
                   _delta(run["pass_rate"] * 100, base_rate, "+.0f", " pp"))
    g = run.get("groundedness_mean")
    cols[1].metric("Groundedness", "—" if g is None else f"{g:.2f}",
                   _delta(g, b.get("groundedness_mean"), "+.2f"))
    p95 = run.get("latency_ms_p95")
    cols[2].metric("Latency p95", "—" if p95 is None else f"{p95:,.0f} ms",
                   _delta(p95, b.get("latency_ms_p95"), "+,.0f", " ms"), delta_color="inverse")
    cols[3].metric("Cost per run", f"${run['cost_usd']:,.4f}",
                   _delta(run["cost_usd"], b.get("cost_usd"), "+,.4f"), delta_color="inverse")


def golden(app: str) -> None:
    """The newest run against its baseline, pass rate per version, failed cases, history."""
    runs = _client.fetch("llm/golden", app=app)
    if not runs:
        st.caption("No golden-set runs for this app yet. Gate a prompt version before it ships:"
                   f" `tripwire golden run SET.jsonl --app {app} --version V --endpoint URL "
                   "--model M`")
        return
    _headline(runs[-1])
    latest = {r["prompt_version"]: {**r, "n": r["n_cases"]} for r in runs}
    st.altair_chart(version_bars(list(latest.values()), "pass_rate", "golden pass rate (latest "
                                 "run per version)", "%"), width="stretch")
    failed = [c for c in runs[-1]["cases"] if not c["passed"]]
    if failed:
        st.markdown(f"**Failed cases of {runs[-1]['prompt_version']}**")
        st.dataframe(pd.DataFrame(failed)[["id", "failed", "groundedness", "latency_ms",
                                           "cost_usd", "error", "response_excerpt"]],
                     hide_index=True)
    with st.expander(f"All {len(runs)} golden runs"):
        table = pd.DataFrame(runs)[["ts", "prompt_version", "llm_model", "passed", "pass_rate",
                                    "n_cases", "cost_usd", "latency_ms_p95",
                                    "groundedness_mean"]]
        table["ts"] = [utc(t) for t in table["ts"]]
        st.dataframe(table.iloc[::-1], hide_index=True)
