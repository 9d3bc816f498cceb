"""App assembly: the entry point's ``Settings`` become the worker's plain config.

``streams`` owns the Faust app (topics, agents, the read API) and takes a
:class:`~streams.config.WorkerConfig`; it never imports ``tripwire``. This module is the one
place that translates settings into that config, so the rooms stay free of cycles:
``tripwire`` → ``streams`` → ``detectors`` / ``sinks`` / ``tripwire_sdk``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tripwire_sdk.events import Limits

from streams.config import JudgeConfig, WorkerConfig
from streams.monitor import MonitorConfig
from tripwire.settings import Settings

if TYPE_CHECKING:
    import faust

    from streams.worker import Worker

__all__ = ["create_app", "judge_config", "worker_config"]


def worker_config(settings: Settings) -> WorkerConfig:
    """The worker's configuration from ``settings``; a bad ``monitoring`` rule or budget
    raises ValueError naming the entry."""
    return WorkerConfig(
        bootstrap=settings.bootstrap, partitions=settings.partitions, dsn=settings.dsn,
        store_label=settings.masked()["clickhouse_dsn"] or "chdb",
        api_host=settings.api_host, api_port=settings.api_port,
        api_token=settings.api_token.get_secret_value() if settings.api_token else None,
        ingest_batch=settings.ingest_batch, ingest_within_s=settings.ingest_within_s,
        snapshot_interval_s=settings.snapshot_interval_s, store_text=settings.store_text,
        limits=Limits(**settings.limits.model_dump()),
        monitor=MonitorConfig.from_settings(settings.monitoring,
                                            judge_window=settings.judge.window),
        judge=judge_config(settings),
    )


def judge_config(settings: Settings) -> JudgeConfig | None:
    """The LLM judge's configuration, or None when ``judge.enabled`` is off or it has no
    endpoint."""
    j = settings.judge
    if not j.enabled or not j.base_url:
        return None
    return JudgeConfig(
        base_url=j.base_url, model=j.model, api_key=j.key(), sample_rate=j.sample_rate,
        daily_budget_usd=j.daily_budget_usd, timeout_s=j.timeout_s,
        max_concurrency=j.max_concurrency, max_queue=j.max_queue,
        input_per_mtok=j.input_per_mtok, output_per_mtok=j.output_per_mtok,
        allow_http=j.allow_http,
    )


def create_app(settings: Settings, worker: Worker | None = None) -> tuple[faust.App, Worker]:
    """The Faust app and its worker state for ``settings`` (``streams.app.create_app``)."""
    from streams.app import create_app as assemble

    return assemble(worker_config(settings), worker)
