"""What the Model and LLM-app pages both load first: the entity, its time range, its alerts,
triggers and signals (or the empty state with the SDK snippet, and ``st.stop()``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from ui import _client
from ui._common import entity_health, health_badge, pick_entity, time_range
from ui._events import deliveries_by_ref, merge_open
from ui._frames import signals_frame

__all__ = ["EntityView", "entity_header", "load_entity"]


@dataclass(frozen=True)
class EntityView:
    name: str
    row: dict[str, Any]
    since: float | None
    history: list[dict[str, Any]]
    triggers: list[dict[str, Any]]
    open_alerts: list[dict[str, Any]]
    signals: pd.DataFrame
    deliveries: dict[str, list[dict[str, Any]]]  # webhook attempts by alert/trigger ``ref``


def load_entity(kind: str, label: str, empty: str, snippet: str, range_key: str) -> EntityView:
    """Pick one of ``entities[kind]`` ("models" or "apps") and fetch what its page shows."""
    rows = {r["name"]: r for r in _client.fetch("entities")[kind]}
    if not rows:
        st.info(empty, icon=":material/inbox:")
        st.code(snippet, language="python")
        st.stop()
    pick, span = st.columns([2, 3])
    with pick:
        name = pick_entity(label, sorted(rows))
    row = rows[name]
    with span:
        since = time_range(row["last_seen"], range_key)
    history = _client.fetch("alerts", entity=name, limit=1000)
    triggers = [t for t in _client.fetch("triggers", entity=name) if t["entity"] == name]
    open_alerts = merge_open([a for a in _client.fetch("alerts/open") if a["entity"] == name],
                             history)
    signals = signals_frame(_client.fetch("signals", entity=name, limit=100_000), since)
    deliveries = deliveries_by_ref(_client.fetch("deliveries", entity=name, limit=2000))
    return EntityView(name, row, since, history, triggers, open_alerts, signals, deliveries)


def entity_header(view: EntityView, caption: str) -> None:
    """The entity's name and one caption line, with its health badge on the right."""
    head, badge = st.columns([6, 1])
    with head:
        st.header(view.name, anchor=False)
        st.caption(caption)
    with badge:
        health_badge(entity_health(view.row, view.open_alerts))
