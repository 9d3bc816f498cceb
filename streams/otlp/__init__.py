"""OpenTelemetry GenAI ingest: ``POST /v1/traces`` (OTLP/HTTP, protobuf or JSON, gzip) on the
worker's web server turns GenAI spans into LLM events on ``tripwire.llm``. See docs/otel.md."""

from streams.otlp._decode import OtlpError, decode_traces, gunzip
from streams.otlp._genai import MODEL_CALLS, is_genai, span_to_event
from streams.otlp._route import DEADLETTER_SOURCE, OTLP_PATH, OtlpIngest, install_otlp

__all__ = ["DEADLETTER_SOURCE", "MODEL_CALLS", "OTLP_PATH", "OtlpError", "OtlpIngest",
           "decode_traces", "gunzip", "install_otlp", "is_genai", "span_to_event"]
