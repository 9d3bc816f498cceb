"""The ClickHouse store on the real engine (chDB): migrations and idempotent writes."""

from __future__ import annotations

import pytest

from sinks.clickhouse import (
    MIGRATIONS,
    ClickHouseStore,
    ReadModel,
    deadletter_row,
    label_row,
    prediction_row,
)


@pytest.fixture(scope="module")
def store(chdb_path: str) -> ClickHouseStore:
    s = ClickHouseStore(chdb_path, database="test_store")
    s.migrate()
    return s


def _predictions(n: int, model: str = "churn") -> list[list]:
    return [prediction_row({"event_id": f"{model}-{i}", "ts": 1_700_000_000.0 + i,
                            "model": model, "model_version": "v1",
                            "features": {"age": i % 90, "plan": "pro"}, "prediction": i % 2,
                            "score": 0.5}) for i in range(n)]


def test_migrations_apply_once(store: ClickHouseStore) -> None:
    assert store.migrate() == []
    versions = [r["version"] for r in store.query("SELECT version FROM schema_migrations")]
    assert sorted(versions) == [m[0] for m in MIGRATIONS]


def test_replaying_the_same_batch_does_not_double_count(store: ClickHouseStore) -> None:
    batch = _predictions(5000, model="replayed")
    store.write_rows("predictions", batch)
    store.write_rows("predictions", batch)  # at-least-once delivery replays the batch
    store.write_rows("predictions", batch[:100])  # and a partial overlap
    rows = store.query("SELECT count() AS n FROM predictions FINAL WHERE model = 'replayed'")
    assert rows[0]["n"] == 5000
    raw = store.query("SELECT count() AS n FROM predictions WHERE model = 'replayed'")
    assert raw[0]["n"] >= 5000  # physical duplicates may exist until merges; reads hide them


def test_stats_count_each_kind_once(chdb_path: str) -> None:
    s = ClickHouseStore(chdb_path, database="test_stats")
    s.migrate()
    labels = [label_row({"event_id": f"l{i}", "ts": 1.0, "model": "m", "prediction_id": f"p{i}",
                         "label": 1}) for i in range(10)]
    dead = [deadletter_row("tripwire.labels", 0, 7, 0, "bad json", b"{", 1.0)]
    for _ in range(2):
        s.write_rows("predictions", _predictions(30, "m"))
        s.write_rows("labels", labels)
        s.write_rows("deadletter", dead)
    assert ReadModel(s).stats() == {"predictions": 30, "labels": 10, "llm": 0, "deadletter": 1}
    entities = ReadModel(s).entities()
    assert entities["models"][0]["name"] == "m"
    assert entities["models"][0]["events"] == 30 and entities["models"][0]["labels"] == 10


def test_alert_state_and_open_alerts(store: ClickHouseStore) -> None:
    base = {"entity_type": "model", "entity": "fraud", "metric": "drift.psi",
            "dimension": "amount", "severity": "warning", "value": 0.4, "threshold": 0.2,
            "window_start": 0.0, "window_end": 10.0, "evidence": {"k": 2}}
    store.write("alerts", [{**base, "alert_id": "a1", "state": "firing", "ts": 10.0}])
    assert [a["alert_id"] for a in ReadModel(store).open_alerts()] == ["a1"]
    store.write("alerts", [{**base, "alert_id": "a1", "state": "resolved", "ts": 20.0}])
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
    store.write("alerts", [alert])
    note = Notification.single(alert)
    store.write("webhook_deliveries", [
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
