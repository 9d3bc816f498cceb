"""Noise control: one notification per state change, repeats, grouping and cooldown.

Pure and event-time: nothing here reads a clock. `offer(record)` decides at once whether a
record will be notified (``"queued"``) or why not; `pop_due(now)` returns the notifications
whose group wait has passed, deferred re-fires whose cooldown has passed, and repeats.

Rules per alert_id (Alertmanager/Prometheus semantics):
- a firing is notified once; more firing records while it fires are duplicates;
- it is re-notified (``repeat=True``) every `repeat_interval_s` while it keeps firing;
- a resolved is notified once, and only if the last notification said firing (or nothing
  is known, e.g. after a restart);
- a re-fire within `cooldown_s` of the last firing notification is suppressed; if the alert
  is still firing when the cooldown ends, that firing is notified then;
- alerts of one entity accepted within `group_wait_s` of the first go out as one message.
Triggers are deduplicated by trigger_id and never grouped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sinks._keys import record_key

__all__ = ["NoiseControl", "Notification", "record_key", "webhook_id_for"]

_TRIGGER_MEMORY = 10_000


def webhook_id_for(records: tuple[Mapping[str, Any], ...], repeat_at: float | None = None) -> str:
    """Deterministic ``msg_<hex>`` id, so a redelivery after restart carries the same id."""
    keys = sorted(record_key(r) for r in records)
    if repeat_at is not None:
        keys.append(f"repeat@{float(repeat_at)!r}")
    return "msg_" + hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Notification:
    """One message to one destination: a record, or a group of one entity's alerts."""

    kind: str
    entity_type: str
    entity: str
    records: tuple[dict, ...]
    tokens: tuple[Hashable, ...] = ()
    repeat_at: float | None = None
    suppressed: int = 0

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks id (idempotency key) of this message."""
        return webhook_id_for(self.records, self.repeat_at)

    @property
    def refs(self) -> list[str]:
        """`record_key` of each record carried: which alert state changes or triggers this
        message delivers (the delivery log keeps them, so the UI shows status per alert)."""
        return [record_key(r) for r in self.records]

    @classmethod
    def single(cls, record: dict, token: Hashable = None) -> Notification:
        """A notification carrying exactly `record` (no noise control)."""
        return cls(
            str(record.get("kind", "alert")),
            str(record.get("entity_type", "")),
            str(record.get("entity", "")),
            (record,),
            (token,) if token else (),
        )


@dataclass
class _AlertState:
    actual: dict
    notified: str | None = None
    fired_at: float | None = None
    notified_at: float = 0.0
    flaps: int = 0


@dataclass
class _Group:
    kind: str
    entity_type: str
    entity: str
    deadline: float
    records: list[dict] = field(default_factory=list)
    tokens: list[Hashable] = field(default_factory=list)
    suppressed: int = 0
    repeat_at: float | None = None

    def freeze(self) -> Notification:
        return Notification(
            self.kind,
            self.entity_type,
            self.entity,
            tuple(self.records),
            tuple(t for t in self.tokens if t is not None),
            self.repeat_at,
            self.suppressed,
        )


class NoiseControl:
    """Per-destination noise control (see module docstring)."""

    def __init__(
        self,
        group_wait_s: float = 0.0,
        repeat_interval_s: float = 0.0,
        cooldown_s: float = 0.0,
        send_resolved: bool = True,
    ) -> None:
        self.group_wait_s, self.repeat_interval_s = group_wait_s, repeat_interval_s
        self.cooldown_s, self.send_resolved = cooldown_s, send_resolved
        self._alerts: dict[str, _AlertState] = {}
        self._firing: set[str] = set()
        self._deferred: set[str] = set()
        self._triggers: dict[str, None] = {}
        self._open: dict[tuple[str, str], _Group] = {}
        self._ready: list[_Group] = []

    @classmethod
    def for_destination(cls, dest: Any) -> NoiseControl:
        """Build from a Destination's group_wait_s/repeat_interval_s/cooldown_s/send_resolved."""
        return cls(dest.group_wait_s, dest.repeat_interval_s, dest.cooldown_s, dest.send_resolved)

    def offer(self, record: dict, token: Hashable = None) -> str:
        """Take one record; return ``"queued"`` or the reason it will not be notified."""
        if record.get("kind") == "trigger":
            return self._offer_trigger(record, token)
        if record.get("state") not in ("firing", "resolved") or not record.get("alert_id"):
            return "invalid"
        st = self._alerts.setdefault(record["alert_id"], _AlertState(record))
        st.actual = record
        verdict = self._decide(st, record)
        if verdict == "queued":
            self._enqueue(record, token, float(record.get("ts", 0.0)), st.flaps)
            st.flaps = 0
        return verdict

    def _decide(self, st: _AlertState, r: dict) -> str:
        aid, ts = r["alert_id"], float(r.get("ts", 0.0))
        if r["state"] == "firing":
            if st.notified == "firing":
                return "duplicate"
            if st.fired_at is not None and ts - st.fired_at < self.cooldown_s:
                st.flaps += 1
                self._deferred.add(aid)
                return "cooldown"
            st.notified, st.fired_at, st.notified_at = "firing", ts, ts
            self._firing.add(aid)
            return "queued"
        if st.notified == "resolved":
            st.flaps += aid in self._deferred
            return "cooldown" if aid in self._deferred else "duplicate"
        st.notified = "resolved"
        self._firing.discard(aid)
        return "queued" if self.send_resolved else "send_resolved=false"

    def _offer_trigger(self, record: dict, token: Hashable) -> str:
        tid = str(record.get("trigger_id") or "")
        if not tid:
            return "invalid"
        if tid in self._triggers:
            return "duplicate"
        self._triggers[tid] = None
        if len(self._triggers) > _TRIGGER_MEMORY:
            del self._triggers[next(iter(self._triggers))]
        g = _Group(
            "trigger",
            str(record.get("entity_type", "")),
            str(record.get("entity", "")),
            float(record.get("ts", 0.0)),
            [record],
            [token],
        )
        self._ready.append(g)
        return "queued"

    def _enqueue(self, record: dict, token: Hashable, ts: float, flaps: int) -> None:
        key = (str(record.get("entity_type", "")), str(record.get("entity", "")))
        group = self._open.get(key)
        if group is not None and ts >= group.deadline:
            self._ready.append(self._open.pop(key))
            group = None
        if group is None:
            group = self._open[key] = _Group("alert", *key, deadline=ts + self.group_wait_s)
        group.records.append(record)
        group.tokens.append(token)
        group.suppressed += flaps

    def pop_due(self, now: float) -> list[Notification]:
        """Notifications due at event time `now`, oldest deadline first."""
        self._release_deferred(now)
        for key in [k for k, g in self._open.items() if g.deadline <= now]:
            self._ready.append(self._open.pop(key))
        ready, self._ready = sorted(self._ready, key=lambda g: g.deadline), []
        return [g.freeze() for g in ready] + self._repeats(now)

    def next_due(self) -> float | None:
        """Earliest deadline among open groups (None when nothing waits)."""
        return min((g.deadline for g in self._open.values()), default=None)

    def _release_deferred(self, now: float) -> None:
        for aid in list(self._deferred):
            st = self._alerts[aid]
            if st.fired_at is not None and now - st.fired_at < self.cooldown_s:
                continue
            self._deferred.discard(aid)
            if st.actual.get("state") == "firing" and st.notified != "firing":
                st.notified, st.fired_at, st.notified_at = "firing", now, now
                self._firing.add(aid)
                self._enqueue(st.actual, None, now, st.flaps)
                st.flaps = 0

    def _repeats(self, now: float) -> list[Notification]:
        if self.repeat_interval_s <= 0:
            return []
        out = []
        for aid in sorted(self._firing):
            st = self._alerts[aid]
            if now - st.notified_at >= self.repeat_interval_s:
                st.notified_at = now
                r = st.actual
                out.append(
                    Notification(
                        "alert",
                        str(r.get("entity_type", "")),
                        str(r.get("entity", "")),
                        (r,),
                        (),
                        now,
                    )
                )
        return out
