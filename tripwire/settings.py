"""Settings: one object, built once by each entry point (CLI, worker, UI).

Resolution order (first wins): explicit arguments → ``TRIPWIRE_*`` environment variables →
``tripwire.yaml`` (path in ``TRIPWIRE_CONFIG``, default ``./tripwire.yaml`` when present) →
defaults. Nested keys use ``__`` in the environment (``TRIPWIRE_MONITORING__WINDOW_EVENTS``).
Invalid values raise :class:`~tripwire.errors.ConfigError` naming the key and the fix.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tripwire.errors import ConfigError

__all__ = ["Settings", "Limits", "Monitoring", "Judge", "load_settings", "ENV_PREFIX"]

ENV_PREFIX = "TRIPWIRE_"


class Limits(BaseModel):
    """Validation limits for incoming events (see ``tripwire_sdk.events.Limits``)."""

    max_message_bytes: int = Field(1_048_576, ge=1024)
    max_event_bytes: int = Field(262_144, ge=256)
    max_features: int = Field(500, ge=1)
    max_text_chars: int = Field(200_000, ge=16)
    max_context_docs: int = Field(100, ge=0)
    max_batch_events: int = Field(10_000, ge=1)


class Monitoring(BaseModel):
    """Windows, thresholds and policies of the detectors (per-model overrides in YAML)."""

    window_events: int = Field(1000, ge=50, description="predictions per drift window")
    window_s: float | None = Field(None, gt=0, description="also close a window after this "
                                   "much event time (with at least min_window_events)")
    min_window_events: int = Field(200, ge=20)
    drift_share: float = Field(0.5, gt=0, le=1, description="share of drifted features that "
                               "makes the dataset drifted (Evidently's rule)")
    reference_events: int = Field(2000, ge=100, description="first N events form the reference")
    label_ttl_s: float = Field(7 * 86400, gt=0)
    min_labels: int = Field(200, ge=10)
    llm_window_events: int = Field(200, ge=20)
    retrain_cooldown_s: float = Field(6 * 3600, ge=0)
    rollback_cooldown_s: float = Field(6 * 3600, ge=0)
    drift_method: dict[str, str] = Field(default_factory=dict, description="feature → method")
    rules: list[dict[str, Any]] = Field(default_factory=list, description="extra alert rules, "
                                        "checked before the defaults")
    retrain_on: list[str] = Field(default_factory=lambda: ["accuracy.decay", "drift.share",
                                                           "drift.burst", "estimated.sustained"])
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    budgets: list[dict[str, Any]] = Field(default_factory=list)
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)
    unknown_price: str = "zero"
    groundedness_min_score: float = Field(0.5, ge=0, le=1, description="flag LLM responses "
                                          "whose groundedness score is below this")
    groundedness_flag_without_context: bool = Field(False, description="also flag responses "
                                                    "that carry no context (prompt only)")


class Judge(BaseModel):
    """Optional LLM judge through an OpenAI-compatible endpoint (see docs/judge.md)."""

    enabled: bool = False
    base_url: str | None = Field(None, description="e.g. https://api.openai.com/v1")
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    api_key_env: str | None = Field(None, description="read the key from this variable")
    sample_rate: float = Field(0.05, ge=0, le=1)
    daily_budget_usd: float = Field(1.0, ge=0)
    timeout_s: float = Field(20.0, gt=0, le=120)
    max_concurrency: int = Field(4, ge=1, le=64)
    max_queue: int = Field(1000, ge=1)
    input_per_mtok: float | None = Field(None, ge=0)
    output_per_mtok: float | None = Field(None, ge=0)
    allow_http: bool = False
    window: int = Field(50, ge=5, description="verdicts per judge.hallucination_rate signal")

    def key(self) -> str | None:
        """The API key: ``api_key``, else the variable named by ``api_key_env``."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// with allow_http)")
        return value


class Settings(BaseSettings):
    """All of Tripwire's settings. Print with ``tripwire status --config`` (secrets masked)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    kafka_bootstrap: str | None = Field(
        None, description="host:port of a Kafka broker; empty = start the embedded broker"
    )
    embedded_kafka_port: int = Field(9192, ge=1, le=65535)
    clickhouse_dsn: str | None = Field(
        None, description="chdb:///path or http(s)://user:pass@host:8123/db; "
        "empty = chDB in data_dir"
    )
    data_dir: Path = Field(Path(".tripwire"), description="where the embedded store keeps data")
    partitions: int = Field(4, ge=1, le=1024)
    api_host: str = "127.0.0.1"
    api_port: int = Field(6066, ge=1, le=65535)
    api_token: SecretStr | None = None
    api_url: str | None = Field(None, description="where the UI finds the read API")
    ui_port: int = Field(8501, ge=1, le=65535)
    store_text: bool | Literal["redacted"] = Field(
        True, description="store prompts/responses of LLM events: true, false, or redacted "
        "(PII and secrets masked)")
    ingest_batch: int = Field(5000, ge=1)
    ingest_within_s: float = Field(0.1, gt=0, description="a batch closes this long after its "
                                   "first message (or at ingest_batch messages)")
    log_level: str = "INFO"
    worker_id: str = Field(default_factory=socket.gethostname,
                           description="not used any more (monitor state is kept per entity "
                           "and follows its partition); accepted so existing configs load")
    snapshot_interval_s: float = Field(30.0, ge=0, description="monitor state checkpoint "
                                       "period (0 = only at rebalances and shutdown)")
    limits: Limits = Field(default_factory=Limits)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    judge: Judge = Field(default_factory=Judge)
    webhooks: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kafka_bootstrap", "clickhouse_dsn", "api_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("store_text", mode="before")
    @classmethod
    def _store_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            word = value.strip().lower()
            if word == "redacted":
                return "redacted"
            if word in ("true", "1", "yes", "on"):
                return True
            if word in ("false", "0", "no", "off"):
                return False
        if isinstance(value, bool):
            return value
        raise ValueError("must be true (store prompts and responses), false (store neither) "
                         "or redacted (store them with PII and secrets masked)")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls))

    # -- derived values ---------------------------------------------------------------------
    @property
    def embedded_broker(self) -> bool:
        """True when no external broker is configured."""
        return self.kafka_bootstrap is None

    @property
    def bootstrap(self) -> str:
        """The broker address workers and clients use."""
        return self.kafka_bootstrap or f"127.0.0.1:{self.embedded_kafka_port}"

    @property
    def dsn(self) -> str:
        """The ClickHouse DSN (chDB under ``data_dir`` by default)."""
        return self.clickhouse_dsn or f"chdb://{(self.data_dir / 'clickhouse').resolve()}"

    @property
    def api_base(self) -> str:
        """Base URL of the read API, as the UI reaches it."""
        if self.api_url:
            return self.api_url.rstrip("/")
        host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::") else self.api_host
        return f"http://{host}:{self.api_port}"

    @property
    def api_is_loopback(self) -> bool:
        """True when the read API listens on loopback only."""
        if self.api_host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.api_host).is_loopback
        except ValueError:
            return False

    def masked(self) -> dict[str, Any]:
        """Settings as a dict, secrets and DSN passwords masked (safe to print or log)."""
        data = self.model_dump(mode="json")
        data["api_token"] = "***" if self.api_token else None
        data["judge"]["api_key"] = "***" if self.judge.api_key else None
        data["clickhouse_dsn"] = _mask_dsn(self.clickhouse_dsn)
        data["webhooks"] = _mask_secrets(data.get("webhooks", {}))
        return data


_YAML_VALUES: dict[str, Any] = {}


class _YamlSource(PydanticBaseSettingsSource):
    """Values read from ``tripwire.yaml``; lowest priority above defaults (deep-merged)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return _YAML_VALUES.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_YAML_VALUES)


def _mask_dsn(dsn: str | None) -> str | None:
    if not dsn or "@" not in dsn or "://" not in dsn:
        return dsn
    scheme, rest = dsn.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def _mask_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("***" if any(s in k.lower() for s in ("secret", "key", "token", "password"))
                and v else _mask_secrets(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_secrets(v) for v in value]
    return value


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}). Fix the syntax and retry.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of setting names to values.")
    return data


def _explain(exc: ValidationError, yaml_path: Path | None) -> ConfigError:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        env = ENV_PREFIX + "__".join(loc).upper()
        where = f"{'.'.join(loc)} in {yaml_path}" if yaml_path else ".".join(loc)
        if err["type"] == "extra_forbidden":
            fix = "remove it or check the spelling (see README, Settings)"
        else:
            fix = f"set {env} or {where} to a valid value"
        lines.append(f"- {env} ({where}): {err['msg']}; got {err.get('input')!r}. Fix: {fix}.")
    return ConfigError("Invalid Tripwire settings:\n" + "\n".join(lines))


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings object from YAML, environment and ``overrides``.

    ``config`` (or ``TRIPWIRE_CONFIG``) names a YAML file; a missing explicit file is an error,
    while ``./tripwire.yaml`` is read only when it exists.
    """
    explicit = config or os.environ.get("TRIPWIRE_CONFIG")
    path = Path(explicit) if explicit else Path("tripwire.yaml")
    if explicit and not path.is_file():
        raise ConfigError(
            f"Config file {path} does not exist. Fix: create it or unset TRIPWIRE_CONFIG/--config."
        )
    file_values = _read_yaml(path) if path.is_file() else {}
    _YAML_VALUES.clear()
    _YAML_VALUES.update(file_values)
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise _explain(exc, path if file_values else None) from None
    finally:
        _YAML_VALUES.clear()
    if settings.judge.enabled and not settings.judge.base_url:
        raise ConfigError("judge.enabled is true but TRIPWIRE_JUDGE__BASE_URL (judge.base_url) "
                          "is empty. Fix: set the endpoint's base URL, or judge.enabled: false.")
    if not settings.api_is_loopback and settings.api_token is None:
        raise ConfigError(
            f"TRIPWIRE_API_TOKEN (api_token) is required when the API listens on "
            f"{settings.api_host!r}, which is not loopback. Fix: set TRIPWIRE_API_TOKEN to a "
            "long random string, or TRIPWIRE_API_HOST=127.0.0.1."
        )
    return settings
