"""Served beyond loopback, the UI asks for the API token before it shows any data."""

from __future__ import annotations

import pytest
from conftest import APP
from streamlit.testing.v1 import AppTest


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_public_ui_requires_the_token(monkeypatch: pytest.MonkeyPatch, seeded_api) -> None:
    monkeypatch.setenv("TRIPWIRE_API_URL", seeded_api.base)
    monkeypatch.setenv("TRIPWIRE_API_TOKEN", "a-long-random-token-123")
    monkeypatch.setenv("TRIPWIRE_UI_PUBLIC", "1")
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Access token"]
    assert "churn" not in _markdown(at) and not at.metric  # no data before the token

    at.text_input[0].input("wrong").run()
    assert [e.value for e in at.error] == ["Wrong token."]
    assert "churn" not in _markdown(at)

    at.text_input[0].input("a-long-random-token-123").run()
    assert not at.exception
    assert at.title[0].value == "Overview" and "churn" in _markdown(at)


def test_loopback_ui_needs_no_token(monkeypatch: pytest.MonkeyPatch, seeded_api) -> None:
    monkeypatch.setenv("TRIPWIRE_API_URL", seeded_api.base)
    monkeypatch.delenv("TRIPWIRE_UI_PUBLIC", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    assert not at.text_input and at.title[0].value == "Overview"
