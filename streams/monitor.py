"""Placeholder monitor (replaced by the detector wiring)."""
from __future__ import annotations
from typing import Any


class Monitor:
    @classmethod
    def from_settings(cls, settings: Any) -> "Monitor":
        return cls()

    def enrich_llm(self, event: dict[str, Any]) -> dict[str, Any]:
        return {}

    def observe(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return []
