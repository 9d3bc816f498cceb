"""``tripwire reference set``: a model version's reference profile from a file.

The profile is built by the same code the worker uses (``streams.reference``). With a worker
running, the columns are posted to its API (``POST /api/v1/references``) and take effect at
once; otherwise, with the embedded store, they are written to the store and loaded when the
worker starts.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from tripwire.errors import ConfigError, StackError
from tripwire.settings import Settings

__all__ = ["set_reference"]


def set_reference(settings: Settings, model: str, version: str,
                  columns: dict[str, list[Any]]) -> str:
    """Install the profile; return a one-line description of what happened."""
    from streams.reference import build_profile

    try:
        profile = build_profile(columns)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    n = len(next(iter(columns.values()), []))
    body = json.dumps({"model": model, "model_version": version, "columns": columns},
                      default=str).encode()
    request = urllib.request.Request(f"{settings.api_base}/api/v1/references", data=body,
                                     method="POST",
                                     headers={"Content-Type": "application/json"})
    if settings.api_token:
        request.add_header("Authorization", f"Bearer {settings.api_token.get_secret_value()}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer = json.loads(response.read())
        return (f"reference for {model} {version or '(all versions)'} set on the running "
                f"worker: {answer.get('columns')} columns, {n} rows")
    except urllib.error.HTTPError as exc:
        raise StackError(
            f"the worker refused the reference: {exc.read().decode()[:500]}") from None
    except OSError:
        pass
    if not settings.dsn.startswith("chdb://"):
        raise StackError(f"no worker answers at {settings.api_base}. Fix: start one "
                         "(`tripwire worker`) and retry.")
    from sinks.clickhouse import ClickHouseStore
    from streams.outputs import stored

    store = ClickHouseStore(settings.dsn)
    store.migrate()
    for table, rows in stored([{"kind": "reference", "entity": model, "model_version": version,
                                "source": "file", "ts": time.time(),
                                "profile": profile}]).items():
        store.insert(table, rows)
    store.close()
    return (f"reference for {model} {version or '(all versions)'} stored in {settings.dsn}: "
            f"{len(profile.columns)} columns, {n} rows; used when the worker starts")
