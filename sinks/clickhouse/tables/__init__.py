"""One module per table: its DDL (as migrations), columns, row encoding and read queries.
Nothing outside ``sinks.clickhouse`` writes SQL."""

from sinks.clickhouse._table import Table
from sinks.clickhouse.tables import (
    alerts,
    deadletter,
    entity_state,
    golden_runs,
    labels,
    llm_events,
    llm_judgements,
    predictions,
    reference_profiles,
    signals,
    triggers,
    webhook_deliveries,
)

__all__ = ["ALL", "BY_NAME", "alerts", "deadletter", "entity_state", "golden_runs", "labels",
           "llm_events", "llm_judgements", "predictions", "reference_profiles", "signals",
           "triggers", "webhook_deliveries"]

ALL: tuple[Table, ...] = tuple(m.TABLE for m in (
    predictions, labels, llm_events, deadletter, signals, alerts, triggers, webhook_deliveries,
    reference_profiles, llm_judgements, entity_state, golden_runs))
BY_NAME: dict[str, Table] = {t.name: t for t in ALL}
