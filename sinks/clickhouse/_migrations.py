"""Versioned schema migrations for the ClickHouse store, gathered from the table modules.

Every table is a ReplacingMergeTree keyed by a natural id, so a replayed Kafka batch (delivery
is at-least-once) replaces rows instead of adding them; reads use ``FINAL``. Timestamps are
``Float64`` epoch seconds of event time, as in the record contracts (docs/contracts.md).
A migration version may touch several tables (each table module lists its own statements);
versions only ever get added, and an applied one is never edited.
"""

from __future__ import annotations

from sinks.clickhouse._table import Table

__all__ = ["gather"]


def gather(tables: tuple[Table, ...]) -> list[tuple[int, str, list[str]]]:
    """(version, what it does, statements) in version order, statements in table order."""
    by_version: dict[int, tuple[str, list[str]]] = {}
    for table in tables:
        for version, note, statements in table.migrations:
            known = by_version.setdefault(version, (note, []))
            if known[0] != note:
                raise ValueError(f"migration {version} is described two ways: {known[0]!r} "
                                 f"and {note!r} ({table.name})")
            known[1].extend(statements)
    return [(v, note, statements) for v, (note, statements) in sorted(by_version.items())]
