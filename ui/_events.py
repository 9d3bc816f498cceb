"""How alerts and triggers read on every page: one line each, evidence behind an expander."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from ui._common import alert_line, dim_label, fmt_num, fmt_value, metric_label, utc

__all__ = ["PAGE_OF", "deliveries_by_ref", "delivery_summary", "delivery_text", "entity_link",
           "merge_open", "open_alerts_panel", "render_alert", "render_trigger", "trigger_text"]

PAGE_OF = {"model": "views/model.py", "app": "views/llm_app.py"}


def entity_link(entity: str, entity_type: str, label: str | None = None) -> None:
    page = PAGE_OF.get(entity_type)
    if page:
        st.page_link(page, label=label or f"Open {entity}", icon=":material/arrow_forward:",
                     query_params={"entity": entity})


def merge_open(open_rows: list[dict[str, Any]], history: list[dict[str, Any]]) -> list[dict]:
    """Open alerts enriched with their latest firing record (value, threshold, type, evidence)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in history:  # newest first
        if row.get("state") == "firing":
            latest.setdefault(row["alert_id"], row)
    out = []
    for row in open_rows:
        full = dict(latest.get(row["alert_id"], {}))
        full.update({k: v for k, v in row.items() if k not in full})
        full.setdefault("ts", row.get("last_ts"))
        out.append(full)
    return out


def open_alerts_panel(open_alerts: list[dict[str, Any]], link: bool = False) -> None:
    """What is wrong now and since when; green when nothing is open."""
    if not open_alerts:
        st.success("No open alerts.", icon=":material/check_circle:")
        return
    for a in sorted(open_alerts, key=lambda a: (a.get("severity") != "critical", -a["ts"])):
        who = f"**{a['entity']}** · " if link else ""
        st.markdown(f"{who}{alert_line(a)} — firing since {utc(a['ts'])}")


def trigger_text(t: dict[str, Any]) -> str:
    """One markdown line: what Tripwire asked for, when and why."""
    reasons = "; ".join(f"`{r}`" for r in t.get("reason") or []) or "no reason recorded"
    when = utc(t.get("ts"))
    if t.get("type") == "prompt_rollback":
        return (f":violet[:material/undo:] **Prompt rollback {t.get('from_version') or '?'} → "
                f"{t.get('to_version') or '?'}** for **{t['entity']}** at {when} — {reasons}")
    ref = (t.get("evidence") or {}).get("suggested_reference") or {}
    ref_text = ""
    if ref.get("window_start") is not None:
        ref_text = (f". Suggested new reference: {utc(ref['window_start'])} → "
                    f"{utc(ref.get('window_end'))}")
    return (f":violet[:material/model_training:] **Retrain requested** for **{t['entity']}** "
            f"at {when} — {reasons}{ref_text}")


def deliveries_by_ref(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Delivery attempts per alert state change / trigger (the ``ref`` of an API record)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        for ref in row.get("refs") or ():
            out.setdefault(ref, []).append(row)
    return out


def _outcomes(attempts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per destination, the attempt that tells the outcome: the first success, else the last."""
    last: dict[str, dict[str, Any]] = {}
    delivered: dict[str, dict[str, Any]] = {}
    for row in sorted(attempts, key=lambda r: (r.get("ts") or 0, r.get("attempt") or 0)):
        last[row["destination"]] = row
        if row.get("ok"):
            delivered.setdefault(row["destination"], row)
    return {dest: delivered.get(dest) or last[dest] for dest in sorted(last)}


def delivery_summary(attempts: list[dict[str, Any]] | None) -> str:
    """A few words for a title: `` · sent to 2`` / `` · 1 webhook not delivered`` / ``""``."""
    if not attempts:
        return ""
    outcomes = _outcomes(attempts).values()
    failed = sum(1 for row in outcomes if not row.get("ok"))
    if failed:
        return f" · :red[{failed} webhook{'s' if failed > 1 else ''} not delivered]"
    return f" · sent to {len(outcomes)}"


def delivery_text(attempts: list[dict[str, Any]]) -> str:
    """One markdown line: per destination, delivered / dead letter / still retrying."""
    parts = []
    for dest, row in _outcomes(attempts).items():
        n = int(row.get("attempt") or 0)
        if row.get("ok"):
            tries = f", attempt {n}" if n > 1 else ""
            parts.append(f":green[:material/check:] **{dest}** HTTP {row.get('status')}{tries}")
        elif row.get("status") == -1:
            parts.append(f":red[:material/close:] **{dest}** dead letter after {n} attempts")
        else:
            error = row.get("error") or f"HTTP {row.get('status')}"
            parts.append(f":orange[:material/schedule:] **{dest}** retrying (attempt {n}: "
                         f"{error})")
    return "Webhooks: " + " · ".join(parts)


Sent = Mapping[str, list[dict[str, Any]]]  # delivery attempts by ``ref`` (deliveries_by_ref)


def _attempts(record: dict[str, Any], sent: Sent | None) -> list[dict[str, Any]]:
    return list((sent or {}).get(record.get("ref", ""), ()))


def _deliveries(attempts: list[dict[str, Any]]) -> None:
    if attempts:
        st.markdown(delivery_text(attempts))


def _rollback_metrics(evidence: dict[str, Any]) -> None:
    rows = evidence.get("metrics") or []
    if not rows:
        return
    df = pd.DataFrame([{"metric": metric_label(m.get("metric", "")),
                        f"{evidence.get('from_version', 'new')} (rolled back)": m.get("from_value"),
                        f"{evidence.get('to_version', 'old')} (kept)": m.get("to_value"),
                        "events new / old": f"{m.get('n_from')} / {m.get('n_to')}",
                        "p-value": fmt_num(m.get("p_value"))} for m in rows])
    st.dataframe(df, hide_index=True)


def render_trigger(t: dict[str, Any], expanded: bool = False, sent: Sent | None = None) -> None:
    """The trigger's line, its webhook delivery status (from ``sent``), evidence below."""
    st.markdown(trigger_text(t))
    _deliveries(_attempts(t, sent))
    with st.expander("Evidence", expanded=expanded):
        if t.get("type") == "prompt_rollback":
            _rollback_metrics(t.get("evidence") or {})
        st.json(t.get("evidence") or {}, expanded=1)
        st.caption(f"trigger id `{t.get('trigger_id', '')}`")


def _rule_windows(evidence: dict[str, Any]) -> None:
    values, windows = evidence.get("values") or [], evidence.get("windows") or []
    if values and len(values) == len(windows):
        st.dataframe(pd.DataFrame({"window": [f"{utc(a)} → {utc(b)[11:]}" for a, b in windows],
                                   "value": values}), hide_index=True)


def render_alert(a: dict[str, Any], link: bool = True, sent: Sent | None = None) -> None:
    """An expander per state change: header line, then webhook delivery status (from
    ``sent``), evidence and a link to the entity."""
    attempts = _attempts(a, sent)
    state = a.get("state", "firing")
    icon = ":material/check_circle:" if state != "firing" else (
        ":material/local_fire_department:" if a.get("severity") == "critical"
        else ":material/warning:")
    dim = f" · {dim_label(a['dimension'])}" if a.get("dimension") else ""
    vs = ""
    if a.get("value") is not None and a.get("threshold") is not None:
        m = a.get("metric", "")
        vs = f" = {fmt_value(m, a['value'])} (threshold {fmt_value(m, a['threshold'])})"
    title = (f"{state.upper()} · {a.get('severity', '')} · {a['entity']} · "
             f"{metric_label(a.get('metric', ''))}{dim}{vs} · {utc(a.get('ts'))}"
             f"{delivery_summary(attempts)}")
    with st.expander(title, icon=icon):
        _deliveries(attempts)
        ev = a.get("evidence") or {}
        if a.get("window_start") is not None:
            st.markdown(f"Window {utc(a['window_start'])} → {utc(a.get('window_end'))}")
        _rule_windows(ev)
        st.json(ev, expanded=1)
        if link:
            entity_link(a["entity"], a.get("entity_type", ""))
