"""docker-compose.yml cannot run here (no Docker engine); check what can be checked."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tripwire.cli import build_parser
from tripwire.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _setting_exists(env_name: str) -> bool:
    parts = env_name.removeprefix("TRIPWIRE_").lower().split("__")
    fields = Settings.model_fields
    for part in parts[:-1]:
        if part not in fields:
            return False
        fields = fields[part].annotation.model_fields  # type: ignore[union-attr]
    return parts[-1] in fields


def test_compose_parses_and_has_the_cluster_services() -> None:
    services = _compose()["services"]
    assert {"kafka", "clickhouse", "worker", "ui"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["clickhouse"]["image"].startswith("clickhouse/clickhouse-server:")
    for name in ("kafka", "clickhouse", "worker", "ui"):
        assert "healthcheck" in services[name], name
    assert "container_name" not in services["worker"]  # scalable with --scale worker=N


def test_every_tripwire_variable_is_a_real_setting() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    names = set(re.findall(r"\b(TRIPWIRE_[A-Z0-9_]+)\s*:", text))
    assert names, "compose sets no TRIPWIRE_ variables"
    unknown = sorted(n for n in names if not _setting_exists(n))
    assert unknown == []


def test_compose_commands_are_real_cli_commands() -> None:
    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, service in _compose()["services"].items():
        command = service.get("command")
        if command and command[0] == "tripwire":
            assert command[1] in choices, f"{name}: tripwire {command[1]} does not exist"
