"""A reference profile from posted or file columns (streams.reference), and the CLI's error."""

from __future__ import annotations

import orjson
import pytest

from detectors.drift import CATEGORICAL, NUMERIC, ReferenceProfile
from streams.monitor import PREDICTION_COLUMN, Monitor, MonitorConfig
from streams.reference import build_profile
from tripwire.errors import ConfigError
from tripwire.references import set_reference
from tripwire.settings import load_settings


def test_columns_are_coerced_like_the_monitors_own_reference() -> None:
    ages = [20.0 + i % 40 for i in range(200)]
    profile = build_profile({"age": [*ages[:-1], "n/a"],  # a stray string counts as missing
                             "plan": [["basic", "pro"][i % 2] for i in range(200)],
                             "prediction": [i % 2 for i in range(200)]})
    assert isinstance(profile, ReferenceProfile)
    assert set(profile.columns) == {"age", "plan", PREDICTION_COLUMN}
    assert profile.columns["age"].kind == NUMERIC and profile.columns["age"].n == 199
    assert profile.columns["plan"].kind == CATEGORICAL

    # the monitor builds the same profile from the same values arriving as predictions
    monitor = Monitor(MonitorConfig(reference_events=200, window_events=200))
    events = [{"type": "prediction", "event_id": f"e{i}", "ts": 1000.0 + i, "model": "m",
               "model_version": "v1", "prediction_id": f"p{i}", "prediction": i % 2,
               "features": {"age": ([*ages[:-1], "n/a"])[i], "plan": ["basic", "pro"][i % 2]}}
              for i in range(200)]
    monitor.observe(events)
    own = monitor.models["m"].versions["v1"].profile
    assert own is not None and _plain(own.to_state()) == _plain(profile.to_state())


def _plain(state: dict) -> bytes:
    return orjson.dumps(state, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_SORT_KEYS)


def test_a_column_without_values_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="cannot build a reference profile: column 'x'"):
        build_profile({"x": [None, None]})


def test_the_cli_reports_it_as_a_config_error(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(kafka_bootstrap="127.0.0.1:1", api_port=1)
    with pytest.raises(ConfigError, match="cannot build a reference profile: column 'x'"):
        set_reference(settings, "m", "v1", {"x": [None]})
