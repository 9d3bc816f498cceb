"""Credentials in text: cloud and API keys of the common providers, private-key blocks, JWTs.

Each pattern is gated by literal prefixes (``str.__contains__``, a C-speed search), so a text
without ``AKIA``, ``ghp_``, ``eyJ``, ``-----BEGIN`` ... costs a handful of substring checks.
Look-alikes are rejected by shape: AWS's documented ``...EXAMPLE`` keys, ``sk-`` inside words
(``risk-averse``), slugs without mixed case and digits, public keys and certificates, and
``eyJ...`` strings whose header is not a JSON object with ``alg``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable

from detectors.safety._types import Finding

__all__ = ["find_secrets"]


def _not_example(value: str) -> bool:
    return "EXAMPLE" not in value


def _mixed(value: str) -> bool:
    """A generated key mixes upper case, lower case and digits; a slug or a word does not."""
    body = value[3:] if value.startswith("sk-") else value
    return (any(c.isdigit() for c in body) and any(c.isupper() for c in body)
            and any(c.islower() for c in body))


def _jwt(value: str) -> bool:
    header = value.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _always(value: str) -> bool:
    return True


_Rule = tuple[str, str, tuple[str, ...], re.Pattern[str], Callable[[str], bool]]
_B = r"(?<![A-Za-z0-9_-])"  # left edge: not inside another token
_UPPER_A = re.compile(r"A(?:KIA|SIA|BIA|CCA|Iza|ccountKey=)")  # literal-prefix search: fast
# (kind, a character every match contains, literal prefixes, pattern, extra check). The
# character is looked for first (memchr), then the literals, then the pattern.
_RULES: tuple[_Rule, ...] = (
    ("aws_access_key", "A", ("AKIA", "ASIA", "ABIA", "ACCA"),
     re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"), _not_example),
    ("aws_secret_key", "_", ("ecret", "ECRET"),
     re.compile(r"(?i:aws_?secret_?(?:access_?)?key)[\"']?\s*[:=]\s*[\"']?"
                r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"), _not_example),
    ("github_token", "_", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
     re.compile(_B + r"(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])"),
     _always),
    ("gitlab_token", "-", ("glpat-",),
     re.compile(_B + r"glpat-[A-Za-z0-9_-]{20}(?![A-Za-z0-9_-])"), _always),
    ("slack_webhook", "/", ("hooks.slack.com",),
     re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/"
                r"[A-Za-z0-9]{20,}"), _always),
    ("slack_token", "-", ("xox",), re.compile(_B + r"xox[abposr]-[0-9]{6,}-[A-Za-z0-9-]{8,}"),
     _always),
    ("stripe_key", "_", ("k_live_", "k_test_"),
     re.compile(_B + r"[sr]k_(?:live|test)_[0-9a-zA-Z]{24,99}(?![A-Za-z0-9])"), _always),
    ("anthropic_key", "-", ("sk-ant-",), re.compile(_B + r"sk-ant-[A-Za-z0-9_-]{32,}"),
     _always),
    ("openai_key", "-", ("sk-",),
     re.compile(_B + r"sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{32,}"), _mixed),
    ("google_api_key", "A", ("AIza",),
     re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), _always),
    ("azure_storage_key", "A", ("AccountKey=",),
     re.compile(r"AccountKey=[A-Za-z0-9+/]{86}=="), _always),
    ("sendgrid_key", ".", ("SG.",),
     re.compile(_B + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"), _always),
    ("npm_token", "_", ("npm_",), re.compile(_B + r"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
     _mixed),
    ("huggingface_token", "_", ("hf_",),
     re.compile(_B + r"hf_[A-Za-z]{34}(?![A-Za-z0-9])"), _always),
    ("private_key", "-", ("-----BEGIN",),
     re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                r"(?:[\s\S]{0,16000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"),
     _always),
    ("jwt", ".", ("eyJ",),
     re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), _jwt),
)


def find_secrets(text: str) -> list[Finding]:
    """Every credential span in ``text``; kinds in ``SECRET_KINDS``."""
    out: list[Finding] = []
    gates = {"A": _UPPER_A.search(text) is not None, "_": "_" in text, "-": "-" in text,
             ".": "." in text, "/": "/" in text}
    for kind, gate, literals, pattern, valid in _RULES:
        if not gates[gate] or not any(lit in text for lit in literals):
            continue
        for m in pattern.finditer(text):
            value = m.group(m.lastindex or 0)
            if valid(value):
                out.append(Finding(kind, m.start(), m.end()))
    return out
