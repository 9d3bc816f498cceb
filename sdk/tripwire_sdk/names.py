"""Names Tripwire reserves: its Kafka topics and the column names it adds to a model's own.
The one place they are spelled.

Input topics carry events (keyed by model or app); the output topics carry the monitor's
records (docs/contracts.md) for anyone to consume; ``CHECKPOINTS`` is the worker's own
compacted state topic. ``PREDICTION_COLUMN`` is the model's prediction seen as one more column
(drift signals' ``dimension``, the features API); ``TS_COLUMN`` carries an event's time beside
its features in the features API.
"""

from __future__ import annotations

__all__ = ["ALERTS", "ALL", "BY_EVENT_TYPE", "CHECKPOINTS", "DEADLETTER", "DELIVERIES", "GOLDEN",
           "INPUT", "LABELS", "LLM", "OUTPUT_BY_KIND", "PREDICTIONS", "PREDICTION_COLUMN",
           "SIGNALS", "TOPIC_CONFIGS", "TRIGGERS", "TS_COLUMN"]

PREDICTIONS = "tripwire.predictions"
LABELS = "tripwire.labels"
LLM = "tripwire.llm"
SIGNALS = "tripwire.signals"
ALERTS = "tripwire.alerts"
TRIGGERS = "tripwire.triggers"
DEADLETTER = "tripwire.deadletter"
DELIVERIES = "tripwire.deliveries"
CHECKPOINTS = "tripwire.checkpoints"
GOLDEN = "tripwire.golden"  # golden-set run records (``tripwire golden run``)

INPUT = (PREDICTIONS, LABELS, LLM)
BY_EVENT_TYPE = {"prediction": PREDICTIONS, "label": LABELS, "llm": LLM}
OUTPUT_BY_KIND = {"signal": SIGNALS, "alert": ALERTS, "trigger": TRIGGERS}
ALL = (*INPUT, SIGNALS, ALERTS, TRIGGERS, DEADLETTER, DELIVERIES, CHECKPOINTS, GOLDEN)

# Topic-level settings given when Tripwire creates a topic (others take the broker's defaults).
# Checkpoints keep the latest record per key; small segments let compaction run within
# minutes; records may be up to 1 MB (state is written in 512 KB parts).
TOPIC_CONFIGS: dict[str, dict[str, str]] = {
    CHECKPOINTS: {"cleanup.policy": "compact", "segment.ms": "600000",
                  "min.cleanable.dirty.ratio": "0.1", "max.message.bytes": "1048588"},
}

PREDICTION_COLUMN = "__prediction__"
TS_COLUMN = "__ts__"
