"""A checkpoint never saves monitor state whose outputs are not published yet: it waits for
the batches in flight and holds new ones back while it takes its cut (``Worker.quiet``)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from tripwire_sdk.events import validate

from sinks.clickhouse import ClickHouseStore
from tripwire.app import create_app
from tripwire.settings import load_settings
from tripwire.synth import model_stream


@pytest.fixture
def worker(chdb_path: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Any:
    monkeypatch.chdir(tmp_path)
    _, worker = create_app(load_settings(kafka_bootstrap="127.0.0.1:1", api_port=1))
    store = ClickHouseStore(chdb_path, database="streams_checkpoint_cut")
    store.migrate()
    worker.use_store(store)
    worker.ready.set()
    worker.topics.clear()
    worker.checkpoints.kafka = None
    return worker


def _batches(n: int) -> list[list[tuple[str, int, int, bytes]]]:
    events = [validate(e) for e in model_stream(100 * n, model="cut-model", seed=3)
              if e["type"] == "prediction"]
    return [[("tripwire.predictions", 0, i, orjson.dumps(events[i * 50:(i + 1) * 50]))]
            for i in range(n)]


class _Recorder:
    """Holds each batch's raw-event write until released; records what is monitored, stored
    and published."""

    def __init__(self, worker: Any) -> None:
        self.gates: dict[str, asyncio.Event] = {}  # by a batch's first event id
        self.all_open = False
        self.log: list[tuple[str, Any]] = []
        write, observe = worker._write, worker.monitor.observe

        async def slow_write(table: Any, rows: list[dict[str, Any]]) -> None:
            if table.name == "predictions":
                ident = rows[0]["event_id"]
                if not self.all_open:
                    await self.gates.setdefault(ident, asyncio.Event()).wait()
                self.log.append(("stored", ident))
            await write(table, rows)

        async def publish(outputs: list[dict[str, Any]]) -> None:
            self.log.append(("published", outputs[0]["first"]))

        def marked(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            observe(events)
            self.log.append(("monitored", events[0]["event_id"]))
            return [{"kind": "signal", "first": events[0]["event_id"]}]

        worker._write, worker.publish, worker.monitor.observe = slow_write, publish, marked

    def release(self, ident: str) -> None:
        self.gates.setdefault(ident, asyncio.Event()).set()

    def release_all(self) -> None:
        self.all_open = True
        for gate in self.gates.values():
            gate.set()


def _first(batch: list[tuple[str, int, int, bytes]]) -> str:
    return str(orjson.loads(batch[0][3])[0]["event_id"])


def test_a_checkpoint_cuts_only_after_the_batches_in_flight_are_published(worker) -> None:
    batches = _batches(2)
    rec = _Recorder(worker)
    exported: list[list[tuple[str, Any]]] = []
    export = worker.monitor.export

    def recording_export(key: Any) -> dict[str, Any]:
        exported.append(list(rec.log))
        return export(key)

    worker.monitor.export = recording_export

    async def run() -> None:
        first = asyncio.ensure_future(worker.handle(batches[0]))
        await asyncio.sleep(0.05)  # monitored, its write held
        checkpoint = asyncio.ensure_future(worker.checkpoints.checkpoint())
        await asyncio.sleep(0.05)
        assert not checkpoint.done() and exported == []  # waits for the batch in flight
        second = asyncio.ensure_future(worker.handle(batches[1]))
        await asyncio.sleep(0.05)
        assert [kind for kind, _ in rec.log] == ["monitored"]  # the next batch waits too
        rec.release_all()
        assert await checkpoint == 1
        await asyncio.gather(first, second)

    asyncio.run(run())
    first_id, second_id = _first(batches[0]), _first(batches[1])
    cut = exported[0]
    assert ("published", first_id) in cut  # the saved state's outputs were published
    assert ("monitored", second_id) not in cut  # the next batch came after the cut
    assert ("published", second_id) in rec.log


def test_a_checkpoint_gives_up_when_a_batch_stays_in_flight(worker) -> None:
    """A batch whose write does not finish (the store down, retried) makes the checkpoint
    fail with TimeoutError after its wait; batches are let through again meanwhile."""
    batches = _batches(2)
    rec = _Recorder(worker)

    async def run() -> None:
        stuck = asyncio.ensure_future(worker.handle(batches[0]))
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError):
            async with worker.quiet(timeout=0.2):
                pass
        rec.release(_first(batches[1]))
        await worker.handle(batches[1])  # not held back after the wait gave up
        assert not stuck.done()
        rec.release_all()
        await stuck

    asyncio.run(run())
    assert [kind for kind, _ in rec.log].count("published") == 2
