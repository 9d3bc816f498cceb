"""Where the monitor's output records are stored: the table of each record kind.

Signals, alerts and triggers are stored as they are (the table takes its columns from the
record); a ``reference`` record (a model version's profile, complete) is stored with its
profile encoded as text; references are stored only, never published.
"""

from __future__ import annotations

from typing import Any

from sinks.clickhouse import Table, tables
from streams.checkpoint import profile_text

__all__ = ["TABLE_OF_KIND", "stored"]

TABLE_OF_KIND: dict[str, Table] = {"signal": tables.signals.TABLE, "alert": tables.alerts.TABLE,
                                   "trigger": tables.triggers.TABLE,
                                   "reference": tables.reference_profiles.TABLE}


def stored(records: list[dict[str, Any]]) -> dict[Table, list[dict[str, Any]]]:
    """Output records grouped by the table that stores them, as its rows."""
    by_table: dict[Table, list[dict[str, Any]]] = {}
    for record in records:
        kind = record.get("kind", "signal")
        row = record if kind != "reference" else tables.reference_profiles.record(
            record["entity"], record["model_version"], record.get("source", "first-events"),
            record["ts"], profile_text(record["profile"]))
        by_table.setdefault(TABLE_OF_KIND[kind], []).append(row)
    return by_table
