"""The UI's pure pieces: frame shaping, budget projection, report HTML safety, the API client."""

from __future__ import annotations

import pandas as pd
import pytest
from _support import ApiServer

from ui import _client
from ui._charts_llm import burn_projection
from ui._common import compact, fmt_value
from ui._frames import drift_cells, markers, signals_frame
from ui._report import build_report, safe_html


def _signal(metric: str, dimension: str, value: float, threshold: float | None,
            end: float = 100.0) -> dict:
    return {"entity_type": "model", "entity": "m", "metric": metric, "dimension": dimension,
            "value": value, "threshold": threshold, "n": 10, "window_start": end - 10,
            "window_end": end, "ts": end}


def test_drift_cells_normalise_by_threshold_and_invert_p_values() -> None:
    df = signals_frame([_signal("drift.wasserstein", "age", 0.3, 0.1),
                        _signal("drift.ks", "spend", 0.01, 0.05),
                        _signal("drift.share", "", 0.5, 0.5)])
    cells = drift_cells(df).set_index("dimension")
    assert list(cells.index) == ["age", "spend"]  # drift.share is not a feature
    assert cells.loc["age", "score"] == pytest.approx(3.0)
    assert cells.loc["spend", "score"] == pytest.approx(5.0)  # p 0.01 < 0.05: drifted


def test_times_are_millisecond_precise_for_the_browser() -> None:
    df = signals_frame([_signal("accuracy", "", 0.9, None, end=1767225659.98)])
    assert df["time"].iloc[0].isoformat() == "2026-01-01T00:00:59.980000+00:00"
    assert df["when"].iloc[0] == "2026-01-01 00:00:59 UTC"


def test_markers_group_simultaneous_alerts_into_one_rule() -> None:
    alerts = [{"ts": 5.0, "state": "firing", "metric": "drift.psi", "dimension": d}
              for d in ("a", "b")]
    triggers = [{"ts": 6.0, "type": "retrain", "reason": ["drift.share=0.6>0.5"]}]
    m = markers(alerts, triggers, prefixes=("drift.",))
    assert list(m["kind"]) == ["alert firing", "retrain trigger"]
    assert m["label"].iloc[0] == "drift (psi) · a, drift (psi) · b"


def test_burn_projection() -> None:
    day = 86400.0
    used = pd.DataFrame({"window_start": [0.0, 0.0], "window_end": [0.1 * day, 0.2 * day],
                         "value": [0.1, 0.25]})
    p = burn_projection(used, day)
    assert p["projected_end"] == pytest.approx(1.25)
    assert p["runs_out_at"] == pytest.approx(0.8 * day)  # 0.25 per 0.2 day → 1.0 at 0.8 day
    assert p["exhausted_at"] is None and p["segment"]["value"].iloc[-1] == pytest.approx(1.0)
    spent = pd.DataFrame({"window_start": [0.0, 0.0], "window_end": [10.0, 20.0],
                          "value": [0.9, 1.2]})
    assert burn_projection(spent, day)["exhausted_at"] == 20.0


def test_value_formatting() -> None:
    assert fmt_value("budget.used_share", 1.0000728) == "100%"
    assert fmt_value("hallucination.rate", 0.615) == "61.5%"
    assert fmt_value("drift.wasserstein", 0.3087) == "0.309"
    assert (compact(20000), compact(3001), compact(601)) == ("20k", "3k", "601")


def test_report_html_cannot_be_broken_out_of_by_event_data() -> None:
    ref = [{"plan": "free", "x": i} for i in range(60)]
    cur = [{"plan": "x;</script><script>alert(1)</script>", "x": i} for i in range(60)]
    report = build_report(ref, cur)
    assert "<script>alert(1)" not in report.html
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in report.html
    assert report.total == 2 and report.drifted >= 1
    assert "<script src=" not in report.html  # self-contained: no external script
    with pytest.raises(ValueError):
        safe_html("<html>not evidently</html>")


def test_client_sends_the_bearer_token(monkeypatch: pytest.MonkeyPatch, empty_api) -> None:
    server = ApiServer(empty_api.read_model, token="s3cret").start()
    try:
        monkeypatch.setenv("TRIPWIRE_API_URL", server.base + "/")
        monkeypatch.delenv("TRIPWIRE_API_TOKEN", raising=False)
        assert _client.get("health")["status"] == "ok"  # health needs no token
        with pytest.raises(_client.ApiError) as err:
            _client.get("stats")
        assert err.value.problem.startswith("The read API refused")
        assert "TRIPWIRE_API_TOKEN" in err.value.fix
        monkeypatch.setenv("TRIPWIRE_API_TOKEN", "s3cret")
        assert _client.get("stats") == {"predictions": 0, "labels": 0, "llm": 0,
                                        "deadletter": 0}
    finally:
        server.stop()


def test_api_base_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIPWIRE_API_URL", raising=False)
    monkeypatch.delenv("TRIPWIRE_API_PORT", raising=False)
    assert _client.api_base() == "http://127.0.0.1:6066"
    monkeypatch.setenv("TRIPWIRE_API_PORT", "7077")
    assert _client.api_base() == "http://127.0.0.1:7077"
