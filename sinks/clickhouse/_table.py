"""What each table module declares (``sinks/clickhouse/tables/``): its name, the columns
Tripwire writes, its migrations, and how its rows travel to the engine.

Raw-event tables (predictions, labels, LLM events) are written as JSONEachRow: the validated
events are serialised once by orjson and parsed by the engine, with nested objects and arrays
kept as their JSON text (``JSON_INPUT``); their values are finite by validation. The other
tables are written through clickhouse-connect's Native format, where a record's missing value
takes the table's default and dict values become JSON text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["JSON_INPUT", "RMT", "Migration", "Table", "from_json", "json_text"]

RMT = "ENGINE = ReplacingMergeTree(ingested_at)"

Migration = tuple[int, str, tuple[str, ...]]  # version, what it does, statements

# Engine settings for JSONEachRow inserts: unknown keys are skipped, objects/arrays/numbers
# read into String columns keep their JSON text, null or absent takes the column default.
JSON_INPUT: dict[str, Any] = {
    "input_format_skip_unknown_fields": 1,
    "input_format_json_read_objects_as_strings": 1,
    "input_format_json_read_arrays_as_strings": 1,
    "input_format_json_read_numbers_as_strings": 1,
    "input_format_json_read_bools_as_strings": 1,
    "input_format_null_as_default": 1,
}


@dataclass(frozen=True, eq=False)
class Table:
    """One table: see the module docstring. Each is a module-level singleton (identity
    equality and hash), so tables can key dicts."""

    name: str
    columns: tuple[str, ...]
    migrations: tuple[Migration, ...]
    json_rows: bool = False
    json_columns: frozenset[str] = frozenset()
    defaults: Mapping[str, Any] = field(default_factory=dict)


def json_text(value: Any) -> str:
    """Compact JSON text of a value, for String columns that hold JSON."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def from_json(text: str | None, default: Any) -> Any:
    """The value of a JSON text column, or ``default`` when empty or not JSON."""
    try:
        return orjson.loads(text) if text else default
    except orjson.JSONDecodeError:
        return default
