"""UI fixtures: read APIs served from a seeded and an empty chDB store (one each per session).

The stores live in the session's one chDB path (``chdb_path``), isolated by database name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _chromium import CHROMIUM, Browser
from _support import ApiServer, free_port, seed

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "ui" / "app.py"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def seeded_api(chdb_path: str) -> Iterator[ApiServer]:
    """The demo scenario: churn drifts and decays, support-bot v2 hallucinates."""
    from sinks.clickhouse import ClickHouseStore, ReadModel

    store = ClickHouseStore(chdb_path, database="ui_seeded")
    seed(store)
    server = ApiServer(ReadModel(store)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def empty_api(chdb_path: str) -> Iterator[ApiServer]:
    """A worker that has not seen a single event yet."""
    from sinks.clickhouse import ClickHouseStore, ReadModel

    store = ClickHouseStore(chdb_path, database="ui_empty")
    store.migrate()
    server = ApiServer(ReadModel(store)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per browser-test module (those modules skip without Chromium)."""
    b = Browser(CHROMIUM)  # type: ignore[arg-type]
    yield b
    b.close()


@pytest.fixture(scope="session")
def down_url() -> str:
    """A loopback URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
