"""Decode, validate and shape a batch of Kafka messages into store records and dead letters.

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
from sinks.clickhouse import Table, tables

__all__ = ["Ingestor", "IngestResult", "Message", "redacted"]

log = logging.getLogger("tripwire.ingest")

Message = tuple[str, int, int, bytes]  # topic, partition, offset, value
Enricher = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class IngestResult:
    """One batch, decoded once: the valid events in order (with the topic, partition and
    offset each came from), the dead letters, and the records each table stores."""

    events: list[dict[str, Any]] = field(default_factory=list)
    origins: list[tuple[str, int, int]] = field(default_factory=list)
    deadletters: list[dict[str, Any]] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    llm: list[dict[str, Any]] = field(default_factory=list)  # llm_events rows

    @property
    def event_count(self) -> int:
        return len(self.events)

    def records(self) -> dict[Table, list[dict[str, Any]]]:
        """Rows per raw-event table (predictions and labels encoded here, in one pass)."""
        return {tables.predictions.TABLE: tables.predictions.records(self.predictions),
                tables.labels.TABLE: tables.labels.records(self.labels),
                tables.llm_events.TABLE: self.llm}


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
        result = IngestResult()
        now = time.time() if now is None else now
        events, origins = result.events, result.origins
        by_kind = {"prediction": result.predictions, "label": result.labels}
        for topic, partition, offset, value in messages:
            self.counters["messages"] += 1
            raw = value if isinstance(value, bytes) else bytes(value or b"")
            valid, rejected = decode_message(raw, self.limits, loads=orjson.loads)
            for index, (reason, original) in enumerate(rejected):
                result.deadletters.append(tables.deadletter.record(
                    topic, partition, offset, index, reason, original, now))
            origin = (topic, partition, offset)
            for index, event in enumerate(valid):
                same = by_kind.get(event["type"])
                if same is None and not self._llm(result, event, origin, index, now):
                    continue
                if same is not None:
                    same.append(event)
                events.append(event)
                origins.append(origin)
        self.counters["events"] += len(events)
        self.counters["deadletter"] += len(result.deadletters)
        return result

    def _llm(self, result: IngestResult, event: dict[str, Any], origin: tuple[str, int, int],
             index: int, now: float) -> bool:
        """Enrich one LLM event and add its row; False (and a dead letter) if that failed."""
        try:
            enrich = self.enrich_llm(event)
            event["_enrich"] = enrich
            if self.store_text == "redacted":
                row = tables.llm_events.record(redacted(event), enrich, True)
            else:
                row = tables.llm_events.record(event, enrich, bool(self.store_text))
        except Exception as exc:  # an enrichment bug must not lose the batch
            log.exception("could not shape llm event %s", event.get("event_id"))
            # Ids above the message's rejections, stable across replays of the same message.
            result.deadletters.append(tables.deadletter.record(
                *origin, 10_000 + index, f"internal error shaping event: {exc}",
                orjson.dumps(event), now))
            return False
        result.llm.append(row)
        return True
