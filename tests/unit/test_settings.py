"""Settings: precedence, validation messages that name the key and the fix, masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from tripwire.errors import ConfigError
from tripwire.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os
    for key in list(os.environ):
        if key.startswith("TRIPWIRE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_use_the_embedded_stack() -> None:
    s = load_settings()
    assert s.embedded_broker and s.bootstrap == f"127.0.0.1:{s.embedded_kafka_port}"
    assert s.dsn.startswith("chdb:///") and s.dsn.endswith(".tripwire/clickhouse")


def test_environment_beats_yaml_and_nested_keys_merge(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "tw.yaml"
    cfg.write_text("partitions: 3\nmonitoring:\n  window_events: 500\n  min_labels: 50\n")
    monkeypatch.setenv("TRIPWIRE_MONITORING__MIN_LABELS", "77")
    monkeypatch.setenv("TRIPWIRE_PARTITIONS", "6")
    s = load_settings(cfg)
    assert (s.partitions, s.monitoring.window_events, s.monitoring.min_labels) == (6, 500, 77)


def test_errors_name_the_key_and_the_fix(tmp_path: Path) -> None:
    cfg = tmp_path / "tw.yaml"
    cfg.write_text("partitons: 3\n")
    with pytest.raises(ConfigError, match=r"TRIPWIRE_PARTITONS .*partitons in .*Fix: remove it"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match=r"TRIPWIRE_API_PORT .*Fix: set TRIPWIRE_API_PORT"):
        load_settings(api_port="abc")
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.yaml")
    assert issubclass(ConfigError, ValueError)


def test_non_loopback_api_requires_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPWIRE_API_HOST", "0.0.0.0")
    with pytest.raises(ConfigError, match="TRIPWIRE_API_TOKEN"):
        load_settings()
    monkeypatch.setenv("TRIPWIRE_API_TOKEN", "s3cret-token-value")
    s = load_settings()
    assert "s3cret" not in str(s.masked()) and "s3cret" not in repr(s)


def test_masked_hides_dsn_password_and_webhook_secrets() -> None:
    s = load_settings(clickhouse_dsn="https://ingest:hunter2@ch.example:8443/db",
                      webhooks={"destinations": {"pd": {"routing_key": "abc", "url": "x"}}})
    text = str(s.masked())
    assert "hunter2" not in text and "'routing_key': '***'" in text
