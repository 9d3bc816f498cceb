"""Monitoring sub-commands: drift, replay, reference, alerts, triggers."""

from __future__ import annotations

from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the monitoring sub-commands to the ``tripwire`` parser."""
