"""Golden-set gate: ``tripwire golden run SET.jsonl --app A --version V --endpoint URL
--model M`` scores a prompt version on fixed cases before it ships (exit 0 pass, 1 fail,
2 usage error) and publishes a ``golden`` record the UI shows next to the live metrics.

Importing this package is cheap (the CLI imports it for ``--help``); the HTTP client and the
scoring are imported on first use.
"""

from __future__ import annotations

from typing import Any

from tripwire.golden._cases import Expect, GoldenCase, load_cases
from tripwire.golden._cli import cmd_golden_run, register

__all__ = ["CaseResult", "ChatClient", "ChatError", "ChatReply", "Expect", "GoldenCase",
           "GoldenRun", "build_messages", "check", "cmd_golden_run", "load_cases", "register",
           "run_golden"]

_LAZY = {"CaseResult": "_run", "GoldenRun": "_run", "build_messages": "_run", "check": "_run",
         "run_golden": "_run", "ChatClient": "_client", "ChatError": "_client",
         "ChatReply": "_client"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"tripwire.golden.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'tripwire.golden' has no attribute {name!r}")
