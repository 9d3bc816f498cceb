"""The shapes the safety detectors return and the names of their signals."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Finding", "SafetyFindings", "PII_KINDS", "SECRET_KINDS", "PII_RATE", "SECRET_RATE",
           "REFUSAL_RATE", "INJECTION_RATE", "SAFETY_METRICS"]

PII_KINDS = ("email", "phone", "card", "iban", "ssn")
SECRET_KINDS = ("aws_access_key", "aws_secret_key", "github_token", "gitlab_token",
                "slack_token", "slack_webhook", "stripe_key", "openai_key", "anthropic_key",
                "google_api_key", "azure_storage_key", "sendgrid_key", "npm_token",
                "huggingface_token", "private_key", "jwt")

# Signal names, per (app, prompt_version) window (docs/contracts.md).
PII_RATE = "safety.pii_rate"
SECRET_RATE = "safety.secret_rate"
REFUSAL_RATE = "refusal.rate"
INJECTION_RATE = "injection.rate"
SAFETY_METRICS = (PII_RATE, SECRET_RATE, REFUSAL_RATE, INJECTION_RATE)


class Finding(NamedTuple):
    """One detected span: ``text[start:end]`` is a ``kind`` (e.g. ``"card"``)."""

    kind: str
    start: int
    end: int


class SafetyFindings(NamedTuple):
    """What one LLM interaction carries: PII and secret kinds in the response (sorted,
    unique), whether the response is a refusal, whether the prompt has injection markers."""

    pii: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    refusal: bool = False
    injection: bool = False
