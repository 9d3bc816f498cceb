"""What one worker process needs to know, as plain frozen records.

``streams`` never reads settings files or the environment: the entry point (``tripwire``)
resolves its ``Settings`` once and hands the worker a :class:`WorkerConfig`
(``tripwire.app.worker_config``). Secrets are kept out of ``repr`` so a config can be logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tripwire_sdk.events import Limits

from streams.monitor import MonitorConfig

__all__ = ["JudgeConfig", "WorkerConfig"]


@dataclass(frozen=True)
class JudgeConfig:
    """The optional LLM judge's endpoint and limits (the arguments of ``LLMJudge``)."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    sample_rate: float = 0.05
    daily_budget_usd: float = 1.0
    timeout_s: float = 20.0
    max_concurrency: int = 4
    max_queue: int = 1000
    input_per_mtok: float | None = None
    output_per_mtok: float | None = None
    allow_http: bool = False


@dataclass(frozen=True)
class WorkerConfig:
    """One worker's broker, store, read API, batching and monitoring configuration.

    ``store_label`` is how logs name the store (the DSN with its password masked, or
    ``"chdb"``); ``dsn`` itself may carry a password and stays out of ``repr``."""

    bootstrap: str
    partitions: int
    dsn: str = field(repr=False)
    store_label: str
    api_host: str
    api_port: int
    ingest_batch: int
    ingest_within_s: float
    snapshot_interval_s: float
    store_text: bool | str
    limits: Limits
    monitor: MonitorConfig
    api_token: str | None = field(default=None, repr=False)
    judge: JudgeConfig | None = None
