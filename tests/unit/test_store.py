"""The ClickHouse store on the real engine (chDB): migrations and idempotent writes."""

from __future__ import annotations

import pytest

from sinks.clickhouse import ClickHouseStore, ReadModel, tables
from sinks.clickhouse._migrations import gather


@pytest.fixture(scope="module")
def store(chdb_path: str) -> ClickHouseStore:
    s = ClickHouseStore(chdb_path, database="test_store")
    s.migrate()
    return s


def _predictions(n: int, model: str = "churn") -> list[dict]:
    return tables.predictions.records([
        {"type": "prediction", "event_id": f"{model}-{i}", "ts": 1_700_000_000.0 + i,
         "model": model, "model_version": "v1", "prediction_id": f"{model}-{i}",
         "features": {"age": i % 90, "plan": "pro"}, "prediction": i % 2, "score": 0.5}
        for i in range(n)])


def test_migrations_apply_once(store: ClickHouseStore) -> None:
    assert store.migrate() == []
    versions = [r["version"] for r in store.query("SELECT version FROM schema_migrations")]
    assert sorted(versions) == [m[0] for m in gather(tables.ALL)]


def test_replaying_the_same_batch_does_not_double_count(store: ClickHouseStore) -> None:
    batch = _predictions(5000, model="replayed")
    store.insert(tables.predictions.TABLE, batch)
    store.insert(tables.predictions.TABLE, batch)  # at-least-once delivery replays the batch
    store.insert(tables.predictions.TABLE, batch[:100])  # and a partial overlap
    rows = store.query("SELECT count() AS n FROM predictions FINAL WHERE model = 'replayed'")
    assert rows[0]["n"] == 5000
    raw = store.query("SELECT count() AS n FROM predictions WHERE model = 'replayed'")
    assert raw[0]["n"] >= 5000  # physical duplicates may exist until merges; reads hide them


def test_stats_count_each_kind_once(chdb_path: str) -> None:
    s = ClickHouseStore(chdb_path, database="test_stats")
    s.migrate()
    labels = tables.labels.records([{"event_id": f"l{i}", "ts": 1.0, "model": "m",
                                     "prediction_id": f"p{i}", "label": 1} for i in range(10)])
    dead = [tables.deadletter.record("tripwire.labels", 0, 7, 0, "bad json", b"{", 1.0)]
    for _ in range(2):
        s.insert(tables.predictions.TABLE, _predictions(30, "m"))
        s.insert(tables.labels.TABLE, labels)
        s.insert(tables.deadletter.TABLE, dead)
    assert ReadModel(s).stats() == {"predictions": 30, "labels": 10, "llm": 0, "deadletter": 1}
    entities = ReadModel(s).entities()
    assert entities["models"][0]["name"] == "m"
    assert entities["models"][0]["events"] == 30 and entities["models"][0]["labels"] == 10


def test_alert_state_and_open_alerts(store: ClickHouseStore) -> None:
    base = {"entity_type": "model", "entity": "fraud", "metric": "drift.psi",
            "dimension": "amount", "severity": "warning", "value": 0.4, "threshold": 0.2,
            "window_start": 0.0, "window_end": 10.0, "evidence": {"k": 2}}
    store.insert(tables.alerts.TABLE, [{**base, "alert_id": "a1", "state": "firing", "ts": 10.0}])
    assert [a["alert_id"] for a in ReadModel(store).open_alerts()] == ["a1"]
    store.insert(tables.alerts.TABLE, [{**base, "alert_id": "a1", "state": "resolved", "ts": 20.0}])
    assert ReadModel(store).open_alerts() == []
    log = ReadModel(store).alerts("fraud")
    assert [a["state"] for a in log] == ["resolved", "firing"]
    assert log[0]["evidence"] == {"k": 2}


def test_deliveries_name_the_alert_they_carried(store: ClickHouseStore) -> None:
    from sinks.webhooks import Notification

    alert = {"kind": "alert", "alert_id": "a9", "state": "firing", "ts": 30.5,
             "entity_type": "model", "entity": "loans", "metric": "drift.psi",
             "dimension": "", "severity": "warning", "value": 0.4, "threshold": 0.2,
             "window_start": 0.0, "window_end": 30.0, "evidence": {}}
    store.insert(tables.alerts.TABLE, [alert])
    note = Notification.single(alert)
    store.insert(tables.webhook_deliveries.TABLE, [
        {"destination": "oncall", "webhook_id": note.webhook_id, "kind": "alert",
         "entity": "loans", "attempt": 1, "status": 204, "ok": 1, "latency_ms": 3.0,
         "error": "", "ts": 31.0, "refs": note.refs},
        {"destination": "oncall", "webhook_id": "msg_other", "kind": "alert",
         "entity": "other", "attempt": 1, "status": 204, "ok": 1, "latency_ms": 3.0,
         "error": "", "ts": 32.0}])  # an older delivery worker's row: no refs
    rm = ReadModel(store)
    (stored,) = rm.alerts("loans")
    (sent,) = rm.deliveries(entity="loans")
    assert sent["refs"] == [stored["ref"]] == ["alert|a9|firing|30.5"]
    assert [r["refs"] for r in rm.deliveries(entity="other")] == [[]]


def test_string_predictions_and_labels_are_stored_as_json_text(store: ClickHouseStore) -> None:
    """One encoding for every value: what the worker stores reads back through JSON."""
    store.insert(tables.predictions.TABLE, tables.predictions.records([
        {"event_id": "s1", "ts": 1.0, "model": "texty", "model_version": "v1",
         "prediction_id": "s1", "features": {"plan": "pro", "n": 2, "x": 0.5},
         "prediction": "yes", "score": None}]))
    store.insert(tables.labels.TABLE, tables.labels.records([
        {"event_id": "l1", "ts": 2.0, "model": "texty", "prediction_id": "s1", "label": "no"}]))
    row = store.query("SELECT prediction, features, score, service FROM predictions FINAL "
                      "WHERE model = 'texty'")[0]
    assert row == {"prediction": '"yes"', "features": '{"plan":"pro","n":2,"x":0.5}',
                   "score": None, "service": ""}
    assert store.scalar("SELECT label FROM labels FINAL WHERE model = 'texty'") == '"no"'
    (feats,) = ReadModel(store).features("texty", 0.0, 10.0)
    assert feats == {"plan": "pro", "n": 2, "x": 0.5, "__prediction__": "yes", "__ts__": 1.0}
