"""Golden-set files: one JSON case per line, validated before any call is made.

    {"id": "refund-window", "input": "How long do refunds take?" | [{"role", "content"}],
     "context": ["Refunds are processed within 14 days."],
     "expect": {"contains": ["14 days"], "not_contains": ["30 days"], "regex": "\\\\b14\\\\b",
                "grounded": true, "max_cost_usd": 0.002, "max_latency_ms": 3000}}

A bad file is a usage error (exit 2): the message names the file, the line and the fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tripwire.errors import ConfigError

__all__ = ["Expect", "GoldenCase", "load_cases", "EXPECT_KEYS"]

EXPECT_KEYS = ("contains", "not_contains", "regex", "grounded", "max_cost_usd",
               "max_latency_ms")
_CASE_KEYS = {"id", "input", "context", "expect"}


@dataclass(frozen=True)
class Expect:
    """What a case's answer must satisfy; every field is optional."""

    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None
    grounded: bool | None = None
    max_cost_usd: float | None = None
    max_latency_ms: float | None = None


@dataclass(frozen=True)
class GoldenCase:
    """One case: chat messages to send, context documents to ground on, expectations."""

    id: str
    messages: tuple[dict[str, Any], ...]
    context: tuple[str, ...] = ()
    expect: Expect = field(default_factory=Expect)


def _fail(where: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{where}: {problem}. Fix: {fix}.")


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, f"{key} must be a list of strings", f'write "{key}": ["..."]')
    return tuple(value)


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise _fail(where, f"expect.{key} must be a number >= 0", f'write "{key}": 0.01')
    return float(value)


def _expect(raw: Any, where: str, has_context: bool) -> Expect:
    if not isinstance(raw, dict):
        raise _fail(where, "expect must be an object", 'write "expect": {"contains": ["..."]}')
    unknown = sorted(set(raw) - set(EXPECT_KEYS))
    if unknown:
        raise _fail(where, f"unknown expect keys {unknown}", f"use only {list(EXPECT_KEYS)}")
    regex = None
    if raw.get("regex") is not None:
        try:
            regex = re.compile(str(raw["regex"]))
        except re.error as exc:
            raise _fail(where, f"expect.regex does not compile ({exc})",
                        "write a Python regular expression") from None
    grounded = raw.get("grounded")
    if grounded is not None and not isinstance(grounded, bool):
        raise _fail(where, "expect.grounded must be true or false", 'write "grounded": true')
    if grounded is not None and not has_context:
        raise _fail(where, "expect.grounded needs context documents to ground on",
                    'add "context": ["..."] to the case or drop "grounded"')
    return Expect(
        contains=_strings(raw.get("contains", []), where, "contains"),
        not_contains=_strings(raw.get("not_contains", []), where, "not_contains"),
        regex=regex, grounded=grounded,
        max_cost_usd=None if raw.get("max_cost_usd") is None else
        _number(raw["max_cost_usd"], where, "max_cost_usd"),
        max_latency_ms=None if raw.get("max_latency_ms") is None else
        _number(raw["max_latency_ms"], where, "max_latency_ms"))


def _messages(value: Any, where: str) -> tuple[dict[str, Any], ...]:
    if isinstance(value, str) and value.strip():
        return ({"role": "user", "content": value},)
    if isinstance(value, list) and value and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and "content" in m
            for m in value):
        return tuple(value)
    raise _fail(where, "input must be a non-empty string or a list of {role, content} messages",
                'write "input": "your question"')


def _case(raw: Any, where: str) -> GoldenCase:
    if not isinstance(raw, dict):
        raise _fail(where, "a case must be a JSON object", 'write {"id": ..., "input": ...}')
    unknown = sorted(set(raw) - _CASE_KEYS)
    if unknown:
        raise _fail(where, f"unknown keys {unknown}", f"use only {sorted(_CASE_KEYS)}")
    case_id = raw.get("id")
    if not isinstance(case_id, (str, int)) or isinstance(case_id, bool) or str(case_id) == "":
        raise _fail(where, "id is missing or empty", 'give every case "id": "a-unique-name"')
    context = _strings(raw.get("context", []), where, "context")
    return GoldenCase(str(case_id), _messages(raw.get("input"), where), context,
                      _expect(raw.get("expect", {}), where, bool(context)))


def load_cases(path: str | Path) -> list[GoldenCase]:
    """Every case of a JSONL golden set (blank lines and ``#`` comments skipped)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{path}: no such file. Fix: pass the golden set's JSONL file.")
    cases: list[GoldenCase] = []
    for number, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(where, f"not valid JSON ({exc.msg})", "write one JSON object per line") \
                from None
        cases.append(_case(raw, where))
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"{path}: duplicate case ids {duplicates}. Fix: make every id unique.")
    if not cases:
        raise ConfigError(f"{path}: no cases. Fix: add one JSON case per line.")
    return cases
