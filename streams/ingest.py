"""Decode, validate and shape a batch of Kafka messages into store rows and dead letters.

This is the part of the worker that does not need Faust: the agents hand it
``(topic, partition, offset, value)`` tuples and write what it returns. Nothing here raises
for bad input; every rejected message or array element becomes a dead letter with a reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from tripwire_sdk.events import Limits, decode_message

from detectors.safety import redact
from sinks.clickhouse import deadletter_row, label_row, llm_row, prediction_row

__all__ = ["Ingestor", "IngestResult", "Message", "TABLE_FOR_TYPE", "redacted"]

log = logging.getLogger("tripwire.ingest")

Message = tuple[str, int, int, bytes]  # topic, partition, offset, value
TABLE_FOR_TYPE = {"prediction": "predictions", "label": "labels", "llm": "llm_events"}
Enricher = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class IngestResult:
    """Rows per table (column order = store COLUMNS), valid events in order, dead letters."""

    rows: dict[str, list[list[Any]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    origins: list[tuple[str, int, int]] = field(default_factory=list)  # (topic, partition,
    # offset) of each event, in the same order
    deadletters: list[list[Any]] = field(default_factory=list)

    @property
    def event_count(self) -> int:
        return len(self.events)


def _no_enrichment(event: dict[str, Any]) -> dict[str, Any]:
    return {}


def redacted(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of an LLM event whose prompt, response and context documents have their PII and
    secrets masked (``store_text: redacted``)."""
    out = dict(event)
    out["prompt"] = redact(event.get("prompt") or "")
    out["response"] = redact(event.get("response") or "")
    if event.get("context"):
        out["context"] = [redact(doc) for doc in event["context"]]
    return out


class Ingestor:
    """Turns raw messages into rows. ``enrich_llm`` adds tokens, cost, groundedness and the
    safety flags; ``store_text`` is True, False or ``"redacted"``."""

    def __init__(self, limits: Limits, enrich_llm: Enricher | None = None,
                 store_text: bool | str = True) -> None:
        self.limits = limits
        self.enrich_llm = enrich_llm or _no_enrichment
        self.store_text = store_text
        self.counters = {"messages": 0, "events": 0, "deadletter": 0}

    def process(self, messages: Iterable[Message], now: float | None = None) -> IngestResult:
        """Decode every message; never raises for bad input."""
        result = IngestResult(rows={t: [] for t in TABLE_FOR_TYPE.values()})
        now = time.time() if now is None else now
        for topic, partition, offset, value in messages:
            self.counters["messages"] += 1
            raw = value if isinstance(value, bytes) else bytes(value or b"")
            valid, rejected = decode_message(raw, self.limits, loads=orjson.loads)
            for index, (reason, original) in enumerate(rejected):
                result.deadletters.append(
                    deadletter_row(topic, partition, offset, index, reason, original, now))
            for index, event in enumerate(valid):
                self._add(result, event, topic, partition, offset, index, now)
        self.counters["events"] += len(result.events)
        self.counters["deadletter"] += len(result.deadletters)
        return result

    def _add(self, result: IngestResult, event: dict[str, Any], topic: str, partition: int,
             offset: int, index: int, now: float) -> None:
        kind = event["type"]
        try:
            if kind == "prediction":
                row = prediction_row(event)
            elif kind == "label":
                row = label_row(event)
            else:
                enrich = self.enrich_llm(event)
                event["_enrich"] = enrich
                if self.store_text == "redacted":
                    row = llm_row(redacted(event), enrich, True)
                else:
                    row = llm_row(event, enrich, bool(self.store_text))
        except Exception as exc:  # an enrichment bug must not lose the batch
            log.exception("could not shape %s event %s", kind, event.get("event_id"))
            # Ids above the message's rejections, stable across replays of the same message.
            result.deadletters.append(deadletter_row(
                topic, partition, offset, 10_000 + index,
                f"internal error shaping event: {exc}", orjson.dumps(event), now))
            return
        result.rows[TABLE_FOR_TYPE[kind]].append(row)
        result.events.append(event)
        result.origins.append((topic, partition, offset))
