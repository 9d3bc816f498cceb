"""The UI in a real headless Chromium: ``streamlit run ui/app.py`` against the seeded read API.

Each page must show its entity names and real chart elements (vega svg/canvas), no Streamlit
exception box, and leaves a full-page screenshot in ``artifacts/screenshots/``. Skipped, with
the reason, where Chromium is not installed (``apt-get install -y chromium``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from _chromium import CHROMIUM, Browser
from _support import free_port
from conftest import APP, ROOT, SCREENSHOTS

pytestmark = pytest.mark.browser

if CHROMIUM is None:
    pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium)",
                allow_module_level=True)


class StreamlitServer:
    def __init__(self, api_url: str, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = SCREENSHOTS.parent / f"streamlit-{name}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, TRIPWIRE_API_URL=api_url)
        env.pop("TRIPWIRE_API_TOKEN", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
             "--theme.base", "light"],
            cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)

    def wait(self, timeout: float = 60.0) -> StreamlitServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit not ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def ui(seeded_api) -> Iterator[str]:
    server = StreamlitServer(seeded_api.base, "seeded").wait()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def empty_ui(empty_api) -> Iterator[str]:
    server = StreamlitServer(empty_api.base, "empty").wait()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def down_ui(down_url: str) -> Iterator[str]:
    server = StreamlitServer(down_url, "down").wait()
    yield server.url
    server.stop()


PAGES = [
    ("", "overview", ["Overview", "churn", "support-bot", "Firing now", "Retrain requested"], 2),
    ("model?entity=churn", "model", ["Drift by feature", "churn", "Feature drill-down",
                                     "Accuracy and labels"], 7),
    ("llm_app?entity=support-bot", "llm_app", ["support-bot", "Prompt rollback v2",
                                               "Least-grounded responses",
                                               "Budget exhausted at", "Golden set",
                                               "the last version that passed",
                                               "Responses with PII", "Refusals"], 15),
    ("alerts", "alerts", ["Alerts & triggers", "churn", "support-bot", "Webhook deliveries",
                          "pagerduty"], 1),
    ("report?entity=churn", "report", ["Drift report", "Drifted columns", "Evidently report"],
     1),
]


@pytest.mark.parametrize(("path", "name", "expect", "min_charts"), PAGES,
                         ids=[p[1] for p in PAGES])
def test_page_renders(ui: str, browser: Browser, path: str, name: str, expect: list[str],
                      min_charts: int) -> None:
    shot = browser.shoot(f"{ui}/{path}", SCREENSHOTS / f"{name}.png", expect)
    assert shot.charts >= min_charts, f"{name}: {shot.charts} chart elements"
    assert 'data-testid="stException"' not in shot.dom
    assert "Cannot reach the Tripwire read API" not in shot.text
    assert shot.png.stat().st_size > 20_000
    if name == "report":  # the model picker's value is not page text; the embedded report is
        assert "Tripwire drift report: churn" in shot.dom


def test_empty_store_page(empty_ui: str, browser: Browser) -> None:
    shot = browser.shoot(empty_ui, SCREENSHOTS / "overview_empty.png",
                         ["No events yet", "from tripwire_sdk import Emitter"])
    assert 'data-testid="stException"' not in shot.dom


def test_unreachable_api_page(down_ui: str, down_url: str, browser: Browser) -> None:
    shot = browser.shoot(f"{down_ui}/model", SCREENSHOTS / "api_down.png",
                         ["Cannot reach the Tripwire read API", "tripwire up"])
    assert f"{down_url}/api/v1/entities" in shot.text
