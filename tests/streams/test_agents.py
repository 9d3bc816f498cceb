"""The Faust agents without a broker (``agent.test_context()``), on the real store engine."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from tripwire_sdk.events import validate

from sinks.clickhouse import ClickHouseStore
from streams.checkpoint import encode
from streams.monitor import PREDICTION_COLUMN
from tripwire.app import create_app
from tripwire.settings import load_settings
from tripwire.synth import llm_stream, model_stream


@pytest.fixture
def app_and_worker(chdb_path: str, monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(kafka_bootstrap="127.0.0.1:1", api_port=1)
    app, worker = create_app(settings)
    store = ClickHouseStore(chdb_path, database="streams_agents")
    store.migrate()
    worker.use_store(store)
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
            for _ in range(400):  # up to 20 s on a loaded box; done as soon as stored
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
            for _ in range(400):  # up to 20 s on a loaded box; done as soon as stored
                if worker.counters["events"] >= 20:
                    break
                await asyncio.sleep(0.05)

    asyncio.run(run())
    rows = worker.store.query("SELECT input_tokens, output_tokens, token_source, cost_usd, "
                              "groundedness FROM llm_events FINAL WHERE app = 'agent-bot'")
    assert len(rows) == 20
    assert all(r["token_source"] == "usage" and r["cost_usd"] > 0 for r in rows)
    assert all(r["groundedness"] is not None for r in rows)


def test_posted_reference_is_stored_and_used(app_and_worker) -> None:
    """``POST /api/v1/references``: the profile is built (streams.reference), stored and
    installed in the monitor; a body without columns is the client's error."""
    _, worker = app_and_worker
    columns = {"age": [20.0 + i % 30 for i in range(300)],
               "plan": [["basic", "pro"][i % 2] for i in range(300)],
               "prediction": [i % 2 for i in range(300)]}

    async def run() -> dict:
        with pytest.raises(ValueError, match="need 'model' and 'columns'"):
            await worker.set_reference({"model": "ref-model"})
        with pytest.raises(ValueError, match="cannot build a reference profile"):
            await worker.set_reference({"model": "ref-model", "columns": {"x": [None]}})
        return await worker.set_reference({"model": "ref-model", "model_version": "v1",
                                           "columns": columns})

    answer = asyncio.run(run())
    assert answer == {"model": "ref-model", "model_version": "v1", "columns": 3}
    rows = worker.store.query("SELECT model, model_version FROM reference_profiles FINAL "
                              "WHERE model = 'ref-model'")
    assert rows == [{"model": "ref-model", "model_version": "v1"}]
    profile = worker.monitor.models["ref-model"].versions["v1"].profile
    assert profile is not None and set(profile.columns) == {"age", "plan", PREDICTION_COLUMN}


def test_monitor_state_survives_a_restart_through_the_store_copy(app_and_worker) -> None:
    """Without a broker (the embedded one forgets its topics when it stops) a restarted worker
    takes each entity's state from its store copy, the label join's pending predictions
    included; a checkpoint writes only entities that changed."""
    app, worker = app_and_worker
    worker.checkpoints.kafka = None
    events = [validate(e) for e in model_stream(3000, model="snap-model", seed=4,
                                                label_share=0.5)]
    messages = [("tripwire.predictions", 0, i, orjson.dumps(events[i * 100:(i + 1) * 100]))
                for i in range(len(events) // 100 + 1)]

    async def run() -> None:
        for message in messages:
            await worker.handle([message])
        assert await worker.snapshot()
        assert not await worker.snapshot()  # unchanged: nothing written

    asyncio.run(run())
    key = ("model", "snap-model")
    before = encode(worker.monitor.export(key))
    assert worker.monitor.models["snap-model"].join.pending["predictions"] > 0

    settings = load_settings(kafka_bootstrap="127.0.0.1:1", api_port=1)
    _, restarted = create_app(settings)
    restarted.checkpoints.kafka = None
    restarted.use_store(worker.store)
    restarted.ready.set()

    async def reopen() -> None:
        restarted.checkpoints.assigned({0})
        await restarted.checkpoints.wait_restored({0})

    asyncio.run(reopen())
    assert encode(restarted.monitor.export(key)) == before
    assert restarted.checkpoints.stats.restored == 1
    assert restarted.ingestor.enrich_llm == restarted.monitor.enrich_llm


def test_judge_verdicts_are_stored_and_become_signals(chdb_path, monkeypatch, tmp_path) -> None:
    from tests.integration.test_judge_endpoint import endpoint

    monkeypatch.chdir(tmp_path)
    events = list(llm_stream(40, app="judged-bot", v2_at=0, seed=3))  # v2 invents numbers

    async def run() -> None:
        async with endpoint() as fake:
            settings = load_settings(kafka_bootstrap="127.0.0.1:1", api_port=1, judge={
                "enabled": True, "base_url": fake.url, "model": "gpt-4o-mini",
                "api_key": "sk-test-key", "sample_rate": 1.0, "window": 10,
                "daily_budget_usd": 5.0})
            app, worker = create_app(settings)
            store = ClickHouseStore(chdb_path, database="streams_judge")
            store.migrate()
            worker.use_store(store)
            worker.ready.set()
            worker.topics.clear()
            task = asyncio.create_task(worker.judge.run(worker.on_verdict))
            async with _agent(app, "ingest-llm").test_context() as agent:
                await agent.put(orjson.dumps(events))
                for _ in range(400):  # every verdict judged, stored and its signal written
                    if worker.counters.get("verdicts", 0) >= 40:
                        break
                    await asyncio.sleep(0.05)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            assert fake.requests >= 40 and fake.auth[0] == "Bearer sk-test-key"
            rows = store.query("SELECT grounded FROM llm_judgements FINAL "
                               "WHERE app = 'judged-bot'")
            assert len(rows) == 40 and any(r["grounded"] == 0 for r in rows)
            signals = store.query("SELECT value FROM signals FINAL WHERE entity = 'judged-bot' "
                                  "AND metric = 'judge.hallucination_rate'")
            assert len(signals) == 4, (worker.judge.counters, worker.monitor._judge_windows)
            assert max(s["value"] for s in signals) > 0

    asyncio.run(run())
