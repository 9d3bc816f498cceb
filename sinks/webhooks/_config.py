"""Destinations and routes, and `from_config` for the ``webhooks:`` key of tripwire.yaml.

See docs/webhooks.md for the schema. Every error names the key and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ._errors import UnsafeDestinationError, WebhookConfigError
from ._retry import DEFAULT_SCHEDULE_S, RetryPolicy
from ._signing import MIN_SECRET_BYTES, Secret, parse_secret
from ._ssrf import EgressPolicy, check_url

__all__ = ["Destination", "Route", "from_config", "route"]

TYPES = ("generic", "slack", "pagerduty")
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
MATCH_FIELDS = ("kind", "entity_type", "entity", "metric", "dimension", "severity", "type")
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True, repr=False)
class Destination:
    """Where notifications go. `url`, `secrets` and `routing_key` are kept as `Secret`."""

    name: str
    type: str
    url: Secret | str
    secrets: tuple[Secret | str, ...] = ()
    routing_key: Secret | str | None = None
    policy: EgressPolicy = EgressPolicy()
    timeout_s: float = 15.0
    retry: RetryPolicy = RetryPolicy()
    group_wait_s: float = 0.0
    repeat_interval_s: float = 4 * 3600.0
    cooldown_s: float = 0.0
    send_resolved: bool = True
    host: str = field(default="", init=False)

    def __post_init__(self) -> None:
        wrap = lambda v: v if isinstance(v, Secret) or v is None else Secret(v)  # noqa: E731
        object.__setattr__(self, "url", wrap(self.url))
        object.__setattr__(self, "secrets", tuple(wrap(s) for s in self.secrets))
        object.__setattr__(self, "routing_key", wrap(self.routing_key))
        if self.type not in TYPES:
            raise WebhookConfigError(f"destination {self.name}: type must be one of {TYPES}")
        host, _ = check_url(_text(self.url), self.policy)
        object.__setattr__(self, "host", host)
        if self.type == "pagerduty" and (self.group_wait_s or self.routing_key is None):
            raise WebhookConfigError(
                f"destination {self.name}: PagerDuty needs a routing_key "
                "and group_wait_s: 0 (one event per alert)"
            )
        if self.type == "generic" and not self.secrets:
            raise WebhookConfigError(
                f"destination {self.name}: generic webhooks are signed; set a secret"
            )
        if not 0 < self.timeout_s <= 30:
            raise WebhookConfigError(f"destination {self.name}: timeout_s must be in (0, 30]")

    def __repr__(self) -> str:
        return f"Destination(name={self.name!r}, type={self.type!r}, host={self.host!r})"

    def url_value(self) -> str:
        """The URL (a credential for Slack); for sending only, never for logs."""
        return _text(self.url)

    def routing_key_value(self) -> str:
        """The PagerDuty routing key ("" if none); for the request body only."""
        return _text(self.routing_key)


def _text(value: Secret | str | None) -> str:
    if value is None:
        return ""
    return value.reveal() if isinstance(value, Secret) else value


@dataclass(frozen=True)
class Route:
    """Send records whose fields match every pattern (fnmatch) to the named destinations."""

    to: tuple[str, ...]
    match: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def matches(self, record: Mapping[str, Any]) -> bool:
        """True if each matched field of `record` fits one of its patterns."""
        return all(
            any(fnmatchcase(str(record.get(key) or ""), p) for p in patterns)
            for key, patterns in self.match.items()
        )


def route(record: Mapping[str, Any], routes: Iterable[Route]) -> list[str]:
    """Destination names for `record`, in route order, without repeats."""
    names: dict[str, None] = {}
    for r in routes:
        if r.matches(record):
            names.update(dict.fromkeys(r.to))
    return list(names)


def _fail(key: str, problem: str, fix: str) -> WebhookConfigError:
    path = "webhooks." + key.lstrip(".") if key.strip(".") else "webhooks"
    return WebhookConfigError(f"{path}: {problem}; fix: {fix}")


def _number(key: str, value: Any, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise _fail(key, f"expected a number >= {low:g}, got {value!r}", "write a number")
    return float(value)


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"expected true or false, got {value!r}", "write true or false")
    return value


def _strings(key: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise _fail(key, "expected a string or a list of strings", 'e.g. ["a", "b"]')
    return tuple(items)


COMMON = {
    "timeout_s",
    "retry_schedule_s",
    "jitter",
    "max_retry_after_s",
    "group_wait_s",
    "repeat_interval_s",
    "cooldown_s",
    "send_resolved",
    "allow_http",
    "allow_private",
    "allow_hosts",
}
PER_DEST = COMMON | {"type", "url", "secret", "secret_env", "routing_key", "routing_key_env"}


def _check_keys(key: str, block: Any, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(block, Mapping):
        raise _fail(key, "expected a mapping", "indent the keys under it")
    unknown = sorted(set(block) - allowed)
    if unknown:
        raise _fail(f"{key}.{unknown[0]}", "unknown key", f"use one of {sorted(allowed)}")
    return block


def _resolve(key: str, spec: Mapping[str, Any], name: str, env: Mapping[str, str]) -> Any:
    """Value of `name`, or of the environment variable named by `name`_env."""
    if f"{name}_env" not in spec:
        return spec.get(name)
    var = spec[f"{name}_env"]
    if spec.get(name) is not None:
        raise _fail(f"{key}.{name}", f"both {name} and {name}_env are set", "keep one")
    if var not in env:
        raise _fail(
            f"{key}.{name}_env",
            f"environment variable {var!r} is not set",
            f"export {var}=... before starting",
        )
    return env[var]


def _secrets(key: str, raw: Any) -> tuple[Secret, ...]:
    if raw is None:
        raise _fail(
            f"{key}.secret",
            "a generic webhook needs a signing secret",
            "set secret_env: NAME and export NAME=$(python -c "
            "'from sinks.webhooks import generate_secret; print(generate_secret())')",
        )
    values = raw.split() if isinstance(raw, str) else raw  # "new old" rotates via *_env
    if not isinstance(values, list) or not values:
        raise _fail(f"{key}.secret", "expected a string or a list (rotation)", "write whsec_...")
    for v in values:
        if not isinstance(v, str) or len(parse_secret(v)) < MIN_SECRET_BYTES:
            raise _fail(
                f"{key}.secret",
                f"a secret is shorter than {MIN_SECRET_BYTES} bytes",
                "use generate_secret() (32 random bytes)",
            )
    return tuple(Secret(v) for v in values)


def _retry(key: str, s: Mapping[str, Any]) -> RetryPolicy:
    sched = s.get("retry_schedule_s", list(DEFAULT_SCHEDULE_S))
    if not isinstance(sched, list):
        raise _fail(f"{key}.retry_schedule_s", "expected a list of seconds", "e.g. [1, 5, 30]")
    return RetryPolicy(
        schedule_s=tuple(_number(f"{key}.retry_schedule_s", v) for v in sched),
        jitter=min(1.0, _number(f"{key}.jitter", s.get("jitter", 1.0))),
        max_retry_after_s=_number(f"{key}.max_retry_after_s", s.get("max_retry_after_s", 3600)),
    )


def _destination(name: str, spec: Mapping[str, Any], env: Mapping[str, str]) -> Destination:
    key = f"destinations.{name}"
    if not _NAME.match(name):
        raise _fail(key, "bad destination name", "use letters, digits, '_', '.', '-'")
    kind = spec.get("type")
    if kind not in TYPES:
        raise _fail(f"{key}.type", f"got {kind!r}", f"use one of {list(TYPES)}")
    pd = kind == "pagerduty"
    if pd and spec.get("group_wait_s", 0):
        raise _fail(f"{key}.group_wait_s", "PagerDuty events are per alert", "remove it")
    url = spec.get("url", PAGERDUTY_URL if pd else None)
    if not isinstance(url, str):
        raise _fail(f"{key}.url", "missing", "set url: https://...")
    routing_key = _resolve(key, spec, "routing_key", env)
    if pd and not (isinstance(routing_key, str) and routing_key):
        raise _fail(f"{key}.routing_key", "missing", "set routing_key_env: NAME (integration key)")
    raw = _resolve(key, spec, "secret", env)
    try:
        return Destination(
            name=name,
            type=kind,
            url=url,
            routing_key=routing_key if pd else None,
            secrets=_secrets(key, raw) if kind == "generic" or raw else (),
            policy=EgressPolicy(
                allow_http=_boolean(f"{key}.allow_http", spec.get("allow_http", False)),
                allow_private=_boolean(f"{key}.allow_private", spec.get("allow_private", False)),
                allow_hosts=_strings(f"{key}.allow_hosts", spec.get("allow_hosts", []) or []),
            ),
            timeout_s=_number(f"{key}.timeout_s", spec.get("timeout_s", 15.0)),
            retry=_retry(key, spec),
            group_wait_s=_number(f"{key}.group_wait_s", spec.get("group_wait_s", 0.0)),
            repeat_interval_s=_number(
                f"{key}.repeat_interval_s", spec.get("repeat_interval_s", 0.0 if pd else 14400.0)
            ),
            cooldown_s=_number(f"{key}.cooldown_s", spec.get("cooldown_s", 0.0)),
            send_resolved=_boolean(f"{key}.send_resolved", spec.get("send_resolved", True)),
        )
    except UnsafeDestinationError as exc:
        raise _fail(f"{key}.url", str(exc), "use a public https URL") from None
    except WebhookConfigError as exc:
        if str(exc).startswith("webhooks."):
            raise
        raise _fail(key, str(exc), "see docs/webhooks.md") from None


def _route(i: int, spec: Any, names: set[str]) -> Route:
    key = f"routes[{i}]"
    spec = _check_keys(key, spec, {"match", "to"})
    to = _strings(f"{key}.to", spec.get("to"))
    for name in to:
        if name not in names:
            raise _fail(f"{key}.to", f"unknown destination {name!r}", f"use one of {sorted(names)}")
    match = _check_keys(f"{key}.match", spec.get("match") or {}, set(MATCH_FIELDS))
    return Route(to=to, match={k: _strings(f"{key}.match.{k}", v) for k, v in match.items()})


def from_config(
    config: Mapping[str, Any], *, env: Mapping[str, str] | None = None
) -> tuple[dict[str, Destination], list[Route]]:
    """Validate the ``webhooks:`` mapping; return destinations by name and routes.

    `env` resolves ``*_env`` keys (defaults to ``os.environ``). Without `routes`, every
    record goes to every destination. Raises WebhookConfigError (a ValueError).
    """
    env = os.environ if env is None else env
    if "webhooks" in config and len(config) == 1:
        config = config["webhooks"] or {}
    config = _check_keys("", config, {"defaults", "destinations", "routes"})
    defaults = _check_keys("defaults", config.get("defaults") or {}, COMMON)
    dests = config.get("destinations") or {}
    if not isinstance(dests, Mapping):
        raise _fail("destinations", "expected a mapping of name -> settings", "see docs")
    out = {}
    for name, spec in dests.items():
        spec = _check_keys(f"destinations.{name}", spec, PER_DEST)
        out[str(name)] = _destination(str(name), {**defaults, **spec}, env)
    raw_routes = config.get("routes")
    if raw_routes is None:
        return out, [Route(to=tuple(out))] if out else []
    if not isinstance(raw_routes, list):
        raise _fail("routes", "expected a list", "write '- match: {...}\\n  to: [name]'")
    return out, [_route(i, r, set(out)) for i, r in enumerate(raw_routes)]
