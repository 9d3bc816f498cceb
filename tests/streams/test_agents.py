"""The Faust agents without a broker (``agent.test_context()``), on the real store engine."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from sinks.clickhouse import ClickHouseStore, ReadModel
from streams.app import create_app
from tripwire.settings import load_settings
from tripwire.synth import llm_stream, model_stream


@pytest.fixture
def app_and_worker(chdb_path: str, monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(kafka_bootstrap="127.0.0.1:1", api_port=1)
    app, worker = create_app(settings)
    store = ClickHouseStore(chdb_path, database="streams_agents")
    store.migrate()
    worker.store, worker.read_model = store, ReadModel(store)
    worker.ready.set()
    worker.topics.clear()  # no broker: outputs go to the store only
    return app, worker


def _agent(app, name: str):
    return next(a for a in app.agents.values() if a.name.endswith(name))


def test_ingest_agent_stores_events_and_deadletters_bad_messages(app_and_worker) -> None:
    app, worker = app_and_worker
    events = [e for e in model_stream(300, model="agent-model", seed=1)
              if e["type"] == "prediction"]

    async def run() -> None:
        async with _agent(app, "ingest-predictions").test_context() as agent:
            await agent.put(orjson.dumps(events[:150]))
            await agent.put(b"{not json")
            await agent.put(orjson.dumps(events[150:]))
            await agent.put(orjson.dumps(events[:10]))  # a replayed message
            for _ in range(100):
                if worker.counters["events"] >= 310:
                    break
                await asyncio.sleep(0.05)

    asyncio.run(run())
    stats = worker.read_model.stats()
    assert stats["predictions"] == 300  # the replayed 10 are not counted twice
    assert stats["deadletter"] == 1
    assert "JSON" in worker.read_model.deadletter()[0]["reason"]


def test_llm_agent_enriches_events_with_tokens_cost_and_groundedness(app_and_worker) -> None:
    app, worker = app_and_worker
    events = list(llm_stream(20, app="agent-bot", seed=2))

    async def run() -> None:
        async with _agent(app, "ingest-llm").test_context() as agent:
            await agent.put(orjson.dumps(events))
            for _ in range(100):
                if worker.counters["events"] >= 20:
                    break
                await asyncio.sleep(0.05)

    asyncio.run(run())
    rows = worker.store.query("SELECT input_tokens, output_tokens, token_source, cost_usd, "
                              "groundedness FROM llm_events FINAL WHERE app = 'agent-bot'")
    assert len(rows) == 20
    assert all(r["token_source"] == "usage" and r["cost_usd"] > 0 for r in rows)
    assert all(r["groundedness"] is not None for r in rows)
