"""Settings -> the worker's plain config (tripwire.app): every value carried, secrets kept
out of repr, the judge only when enabled."""

from __future__ import annotations

import dataclasses

import pytest
from tripwire_sdk.events import Limits

from streams.config import JudgeConfig, WorkerConfig
from streams.monitor import MonitorConfig
from tripwire.app import judge_config, worker_config
from tripwire.settings import load_settings

SECRETS = ("api-token-123", "dsn-pass-456", "sk-judge-789")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return load_settings(
        kafka_bootstrap="broker:9092", partitions=8, api_port=7000, api_token=SECRETS[0],
        clickhouse_dsn=f"http://user:{SECRETS[1]}@ch:8123/db", ingest_batch=123,
        ingest_within_s=0.25, snapshot_interval_s=0, store_text="redacted",
        limits={"max_features": 42},
        monitoring={"window_events": 300, "rules": [{"metric": "drift.psi", "threshold": 0.3}]},
        judge={"enabled": True, "base_url": "https://judge.example/v1", "model": "gpt-4o-mini",
               "api_key": SECRETS[2], "sample_rate": 0.5, "window": 20})


def test_every_setting_reaches_the_worker_config(settings) -> None:
    config = worker_config(settings)
    assert isinstance(config, WorkerConfig)
    assert (config.bootstrap, config.partitions, config.api_host, config.api_port) == (
        "broker:9092", 8, "127.0.0.1", 7000)
    assert config.dsn == settings.dsn and config.store_label == "http://user:***@ch:8123/db"
    assert config.api_token == SECRETS[0]
    assert (config.ingest_batch, config.ingest_within_s, config.snapshot_interval_s) == (
        123, 0.25, 0)
    assert config.store_text == "redacted"
    assert config.limits == Limits(**settings.limits.model_dump())
    assert config.limits.max_features == 42
    assert config.monitor == MonitorConfig.from_settings(settings.monitoring, judge_window=20)
    assert config.judge == JudgeConfig(base_url="https://judge.example/v1", model="gpt-4o-mini",
                                       api_key=SECRETS[2], sample_rate=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.partitions = 1  # type: ignore[misc]


def test_secrets_stay_out_of_repr(settings) -> None:
    text = repr(worker_config(settings))
    assert not [s for s in SECRETS if s in text]
    assert "store_label='http://user:***@ch:8123/db'" in text


def test_judge_only_when_enabled(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert judge_config(load_settings()) is None
    assert worker_config(load_settings()).judge is None


def test_a_bad_monitoring_rule_names_the_entry(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(monitoring={"rules": [{"metric": "drift.psi", "bogus": 1}]})
    with pytest.raises(ValueError, match="monitoring.rules: entry"):
        worker_config(settings)


def test_the_worker_uses_its_config(settings) -> None:
    from streams.worker import Worker

    config = worker_config(settings)
    worker = Worker(config)
    assert worker.monitor.config is config.monitor
    assert worker.ingestor.limits is config.limits and worker.ingestor.store_text == "redacted"
    assert worker.judge is not None and worker.judge.model == "gpt-4o-mini"
    assert worker.judge.sample_rate == 0.5
