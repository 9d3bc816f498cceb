"""Every page under Streamlit's AppTest against the seeded, the empty and an unreachable API."""

from __future__ import annotations

import re

import pytest
from conftest import APP
from streamlit.testing.v1 import AppTest

_TEXT_TYPES = ("title", "header", "subheader", "markdown", "caption", "text", "code", "error",
               "warning", "info", "success", "metric", "expander", "badge")


def run_page(monkeypatch: pytest.MonkeyPatch, api: str, page: str, **query: str) -> AppTest:
    monkeypatch.setenv("TRIPWIRE_API_URL", api)
    monkeypatch.delenv("TRIPWIRE_API_TOKEN", raising=False)
    monkeypatch.delenv("TRIPWIRE_UI_PUBLIC", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in _TEXT_TYPES:
        for el in at.get(kind):
            proto = getattr(el, "proto", None)
            for attr in ("body", "label", "value", "text", "code_text"):
                value = getattr(proto, attr, None) if proto is not None else None
                if isinstance(value, str) and value:
                    parts.append(value)
    return "\n".join(parts)


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


def test_overview(monkeypatch: pytest.MonkeyPatch, seeded_api) -> None:
    at = run_page(monkeypatch, seeded_api.base, "overview")
    text = page_text(at)
    assert at.title[0].value == "Overview"
    for expected in ("churn", "support-bot", "Firing now", "Retrain requested",
                     "Prompt rollback", "share of drifted features", "dead-lettered"):
        assert expected in text, expected
    assert charts(at) >= 2  # one sparkline per entity


def test_model_page(monkeypatch: pytest.MonkeyPatch, seeded_api) -> None:
    at = run_page(monkeypatch, seeded_api.base, "model", entity="churn")
    text = page_text(at)
    assert [s.value for s in at.subheader] == [
        "What is wrong", "Drift by feature", "Feature drill-down", "Predictions over time",
        "Accuracy and labels", "Estimated performance (without labels)",
        "Alert and trigger history"]
    assert at.selectbox(key="entity").value == "churn"
    estimated = [s for s in at.selectbox if s.label == "Estimated metric"]
    assert estimated and estimated[0].value == "accuracy"  # the synthetic churn model scores
    assert "accuracy decay detected" in text and "Retrain requested" in text
    assert "**retrain-hook** dead letter after 2 attempts" in text  # the trigger's webhooks
    assert "**pagerduty** HTTP 202, attempt 2" in text  # the first alert's, in the history
    assert charts(at) >= 7  # heatmap, drift share, quality, statistic, distribution, ...
    feature = at.selectbox[1]
    assert feature.label == "Feature" and feature.value == "age"  # most drifted, last window
    feature.select("plan").run()
    assert not at.exception
    at.button_group[0].set_value("15 min").run()  # the time range control
    assert not at.exception and charts(at) >= 5


def test_llm_page(monkeypatch: pytest.MonkeyPatch, seeded_api) -> None:
    at = run_page(monkeypatch, seeded_api.base, "llm_app", entity="support-bot")
    text = page_text(at)
    for expected in ("Prompt rollback v2 → v1", "Quality by prompt version", "Cost and budget",
                     "Budget exhausted at", "Least-grounded responses", "Golden set",
                     "Latest run: **v2**",
                     "compared with **v1**, the last version that passed", "Safety",
                     "Responses with PII", "Refusals", "Failed cases of v2",
                     "Why:", "number contradicts context\\: ", "name not in context\\: "):
        assert expected in text, expected
    assert charts(at) >= 15  # + golden pass rate per version, four safety rate charts


def _event_counts(api) -> tuple[int, dict[str, int]]:
    """Alert state changes + triggers in the seeded store: total and per entity."""
    import requests

    rows = (requests.get(f"{api.base}/api/v1/alerts", params={"limit": 2000}, timeout=10).json()
            + requests.get(f"{api.base}/api/v1/triggers", timeout=10).json())
    per: dict[str, int] = {}
    for r in rows:
        per[r["entity"]] = per.get(r["entity"], 0) + 1
    return len(rows), per


def test_alerts_page_filters(monkeypatch: pytest.MonkeyPatch, seeded_api) -> None:
    total, per = _event_counts(seeded_api)
    at = run_page(monkeypatch, seeded_api.base, "alerts")
    text = page_text(at)
    for expected in ("Webhook deliveries", "oncall-slack", "pagerduty", "retrain-hook",
                     "last attempt failed", "connection refused", f"{total} of {total} events",
                     "**pagerduty** HTTP 202, attempt 2", "**oncall-slack** HTTP 200",
                     "**retrain-hook** dead letter after 2 attempts",  # per alert / trigger
                     "sent to 2"):  # in the delivered alert's title
        assert expected in text, expected
    assert charts(at) == 1  # the timeline
    at.multiselect(key="entity").select("churn").run()
    assert f"{per['churn']} of {total} events" in page_text(at)
    at.button_group[0].set_value(["trigger"]).run()  # kind: triggers only
    text = page_text(at)
    assert f"1 of {total} events" in text and "Retrain requested" in text


def test_alerts_page_deep_link(monkeypatch: pytest.MonkeyPatch, seeded_api) -> None:
    total, per = _event_counts(seeded_api)
    at = run_page(monkeypatch, seeded_api.base, "alerts", entity="support-bot")
    assert at.multiselect(key="entity").value == ["support-bot"]
    assert f"{per['support-bot']} of {total} events" in page_text(at)


def test_report_page(monkeypatch: pytest.MonkeyPatch, seeded_api) -> None:
    at = run_page(monkeypatch, seeded_api.base, "report", entity="churn")
    text = page_text(at)
    assert "Drifted columns" in text
    assert re.search(r"\b[1-6] of 6\b", text)  # 5 features + the prediction; some drifted
    assert at.get("download_button") and at.get("iframe")
    assert charts(at) == 1


@pytest.mark.parametrize(("page", "expected"), [
    ("overview", "No events yet"),
    ("model", "No model has sent predictions yet"),
    ("llm_app", "No LLM app has sent interactions yet"),
    ("alerts", "No alerts or triggers yet"),
    ("report", "No model has sent predictions yet"),
])
def test_empty_store_says_what_to_do(monkeypatch: pytest.MonkeyPatch, empty_api, page: str,
                                     expected: str) -> None:
    at = run_page(monkeypatch, empty_api.base, page)
    text = page_text(at)
    assert expected in text
    if page != "alerts":
        assert "from tripwire_sdk import Emitter" in text


def test_api_unreachable_names_url_and_fix(monkeypatch: pytest.MonkeyPatch, down_url) -> None:
    at = run_page(monkeypatch, down_url, "overview")
    message = at.error[0].value
    assert f"{down_url}/api/v1/" in message and "tripwire up" in message
