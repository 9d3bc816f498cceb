"""Every package's public names, pinned: adding or removing a name from a package's
``__all__`` (or adding a package) fails here until this list is updated on purpose.

Packages are found on disk (every folder with an ``__init__.py``), so a new package without a
pin fails too. Module-level ``__all__`` lists stay private to their package's ``__init__``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOP = {"tripwire_sdk": ROOT / "sdk" / "tripwire_sdk", "detectors": ROOT / "detectors",
       "streams": ROOT / "streams", "sinks": ROOT / "sinks", "tripwire": ROOT / "tripwire",
       "ui": ROOT / "ui", "benchmarks": ROOT / "benchmarks"}

PUBLIC: dict[str, list[str]] = {
    "tripwire_sdk": ["DEFAULT_LIMITS", "SCHEMA_VERSION", "TOPICS", "Emitter", "EventError",
                     "Limits", "__version__", "decode_message", "validate"],
    "detectors": [],
    "detectors.accuracy": ["AccuracyWindow", "DecayDetector", "LabelJoin"],
    "detectors.drift": [
        "CATEGORICAL", "METHODS", "NUMERIC", "CategoricalProfile", "ColumnDrift",
        "ColumnProfile", "MeanShiftBurst", "Method", "NumericProfile", "ReferenceProfile",
        "WindowChange", "allowed_methods", "column_drift", "compare", "window_means",
        "window_statistics"],
    "detectors.llm": [
        "FALLBACK_ENCODING", "Cost", "Groundedness", "GroundednessScorer", "LexicalScorer",
        "PriceBook",
        "TokenCount", "TokenizerDataError", "UnknownModelError", "count_tokens",
        "encoding_name_for", "is_exact", "score_groundedness", "split_provider",
        "tokens_for_event"],
    "detectors.performance": [
        "ESTIMATED_METRICS", "PerformanceBand", "PerformanceEstimator", "ScoreCalibration",
        "auc_expected", "binary_class", "confusion_metrics", "estimate", "pav",
        "positive_score"],
    "detectors.safety": [
        "INJECTION_RATE", "PII_KINDS", "PII_RATE", "REFUSAL_RATE", "SAFETY_METRICS",
        "SECRET_KINDS", "SECRET_RATE", "Finding", "SafetyCounts", "SafetyFindings", "find_pii",
        "find_secrets", "find_sensitive", "has_injection", "iban_valid", "is_refusal",
        "luhn_valid", "redact", "scan"],
    "streams": [],
    "streams.checkpoint": ["Checkpointer", "KafkaSide", "OffsetTracker", "decode", "encode",
                           "profile_from_text", "profile_text"],
    "streams.delivery": ["TOPICS", "DeliveryPipeline", "EventClock", "OffsetTracker",
                         "run_delivery", "sample_alert", "send_test"],
    "streams.monitor": [
        "AppMonitor", "Enricher", "Entity", "EntityKey", "LatencyWindow", "ModelMonitor",
        "ModelOverrides", "Monitor", "MonitorConfig", "PREDICTION_COLUMN", "STATE_VERSION",
        "entity_key"],
    "streams.otlp": [
        "DEADLETTER_SOURCE", "MODEL_CALLS", "OTLP_PATH", "OtlpError", "OtlpIngest",
        "decode_traces", "gunzip", "install_otlp", "is_genai", "span_to_event"],
    "sinks": [],
    "sinks.clickhouse": ["Backoff", "ClickHouseSink", "ClickHouseStore", "ReadModel",
                         "StoreError", "Table", "tables"],
    "sinks.clickhouse.tables": [
        "ALL", "BY_NAME", "alerts", "deadletter", "entity_state", "golden_runs", "labels",
        "llm_events", "llm_judgements", "predictions", "reference_profiles", "signals",
        "triggers", "webhook_deliveries"],
    "sinks.webhooks": [
        "DELIVERIES_TOPIC", "ROW_FIELDS", "Deliverer", "DeliveryLog", "DeliveryResult",
        "Destination", "EgressPolicy", "GuardedResolver", "KafkaDeliveryLog",
        "MemoryDeliveryLog", "NoiseControl", "Notification", "RetryPolicy", "Route", "Secret",
        "SignatureError", "UnsafeDestinationError", "WebhookConfigError", "check_url",
        "dedup_key", "from_config", "generate_secret", "parse_retry_after", "record_key",
        "render", "route", "sign", "signature_headers", "summarize", "verify",
        "webhook_id_for"],
    "tripwire": ["__version__"],
    "tripwire.golden": [
        "CaseResult", "ChatClient", "ChatError", "ChatReply", "Expect", "GoldenCase",
        "GoldenRun", "build_messages", "check", "cmd_golden_run", "load_cases", "register",
        "run_golden"],
    "ui": [],
    "benchmarks": ["run_bench"],
}  # fmt: skip


def packages_on_disk() -> set[str]:
    found = set()
    for top, folder in TOP.items():
        for init in folder.rglob("__init__.py"):
            found.add(".".join([top, *init.parent.relative_to(folder).parts]))
    return found


def test_every_package_is_pinned() -> None:
    assert packages_on_disk() == set(PUBLIC), (
        "a package was added or removed: add its __all__ to PUBLIC (or drop it)")


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_names_are_pinned(package: str) -> None:
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    assert names is not None, f"{package} has no __all__: add one (house style)"
    assert len(set(names)) == len(names), f"{package}.__all__ repeats a name"
    assert sorted(names) == sorted(PUBLIC[package]), (
        f"{package}.__all__ changed: update PUBLIC in this test if that was intended")
    missing = [n for n in names if not hasattr(module, n)]
    assert missing == [], f"{package}.__all__ names what it does not define: {missing}"
