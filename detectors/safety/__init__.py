"""Safety signals per LLM event: PII, secrets, refusals and prompt-injection markers.

Pure functions (no I/O, no clock), regexes compiled at import, no model weights:

* :func:`scan` (prompt, response) -> :class:`SafetyFindings` - what the monitor counts;
* :func:`find_pii` (email, phone, Luhn-valid card, mod-97-valid IBAN, US SSN),
  :func:`find_secrets` (AWS, GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic, Google, Azure,
  SendGrid, npm, Hugging Face keys, private-key blocks, JWTs) -> :class:`Finding` spans;
* :func:`is_refusal`, :func:`has_injection`;
* :func:`redact` - PII and secrets masked as ``[REDACTED:<kind>]`` (``store_text: redacted``);
* :class:`SafetyCounts` - one window's counts -> the ``safety.pii_rate``,
  ``safety.secret_rate``, ``refusal.rate`` and ``injection.rate`` signals.

Precision and recall on the labelled corpus, and the cost per event:
docs/detection-quality.md (``python -m benchmarks.safety``).
"""

from detectors.safety._checksums import iban_valid, luhn_valid
from detectors.safety._phrases import has_injection, is_refusal
from detectors.safety._pii import find_pii
from detectors.safety._scan import find_sensitive, redact, scan
from detectors.safety._secrets import find_secrets
from detectors.safety._types import (
    INJECTION_RATE,
    PII_KINDS,
    PII_RATE,
    REFUSAL_RATE,
    SAFETY_METRICS,
    SECRET_KINDS,
    SECRET_RATE,
    Finding,
    SafetyFindings,
)
from detectors.safety._window import SafetyCounts

__all__ = [
    "INJECTION_RATE",
    "PII_KINDS",
    "PII_RATE",
    "REFUSAL_RATE",
    "SAFETY_METRICS",
    "SECRET_KINDS",
    "SECRET_RATE",
    "Finding",
    "SafetyCounts",
    "SafetyFindings",
    "find_pii",
    "find_secrets",
    "find_sensitive",
    "has_injection",
    "iban_valid",
    "is_refusal",
    "luhn_valid",
    "redact",
    "scan",
]
