"""The worker's read API: JSON over HTTP under ``/api/v1`` (Faust's web server).

Handlers run the store queries in a thread (``run_in_executor``) so the stream never waits on a
read. When the settings carry an API token, every path except ``/api/v1/health`` requires
``Authorization: Bearer <token>``; the token is compared in constant time.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

import faust
import orjson
from faust.web import Request, Response, View

from sinks.clickhouse import ReadModel

__all__ = ["install_api", "install_post", "ROUTES"]

MAX_POST_BYTES = 64 * 1024 * 1024

log = logging.getLogger("tripwire.api")

Query = Mapping[str, str]
Handler = Callable[[ReadModel, Query], Any]


def _int(q: Query, key: str, default: int, high: int = 100_000) -> int:
    try:
        return max(1, min(int(q.get(key, default)), high))
    except ValueError:
        return default


def _float(q: Query, key: str, default: Any) -> Any:
    if key not in q:
        return default
    try:
        return float(q[key])
    except ValueError:
        return default


ROUTES: dict[str, Handler] = {
    "stats": lambda rm, q: rm.stats(),
    "entities": lambda rm, q: rm.entities(),
    "signals": lambda rm, q: rm.signals(
        q.get("entity", ""), q.get("metric") or None, q.get("dimension"),
        _int(q, "limit", 5000), _float(q, "start", None), _float(q, "end", None),
        q.get("order") == "desc"),
    "alerts": lambda rm, q: rm.alerts(q.get("entity") or None, _int(q, "limit", 500)),
    "alerts/open": lambda rm, q: rm.open_alerts(),
    "triggers": lambda rm, q: rm.triggers(q.get("entity") or None, _int(q, "limit", 200)),
    "deliveries": lambda rm, q: rm.deliveries(q.get("webhook_id") or None,
                                              _int(q, "limit", 500), q.get("entity") or None),
    "deadletter": lambda rm, q: rm.deadletter(_int(q, "limit", 100)),
    "llm/versions": lambda rm, q: rm.llm_versions(q.get("app", "")),
    "llm/samples": lambda rm, q: rm.llm_samples(q.get("app", ""), _int(q, "limit", 20)),
    "llm/golden": lambda rm, q: rm.golden_runs(q.get("app", ""), _int(q, "limit", 200)),
    "features": lambda rm, q: rm.features(q.get("model", ""), _float(q, "start", 0.0),
                                          _float(q, "end", 1e18), _int(q, "limit", 20000)),
}


def _json(view: View, value: Any, status: int = 200) -> Response:
    body = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    return view.bytes(body, content_type="application/json", status=status)


def _authorized(request: Request, token: str | None) -> bool:
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    supplied = header[7:] if header.startswith("Bearer ") else ""
    return hmac.compare_digest(supplied.encode(), token.encode())


def install_api(app: faust.App, read_model: Callable[[], ReadModel | None],
                token: str | None, extra: dict[str, Handler] | None = None) -> None:
    """Register ``/api/v1/health`` and one GET view per entry of ``ROUTES`` (+ ``extra``)."""
    @app.page("/api/v1/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            rm = read_model()
            return _json(self, {"status": "ok" if rm else "starting", "store": rm is not None,
                                "worker": self.app.conf.id, "version": "v1"})

    for name, handler in {**ROUTES, **(extra or {})}.items():
        app.page(f"/api/v1/{name}")(_make_view(name, handler, read_model, token))


def _make_view(name: str, handler: Handler, read_model: Callable[[], ReadModel | None],
               token: str | None) -> type[View]:
    async def get(self: View, request: Request) -> Response:
        if not _authorized(request, token):
            return _json(self, {"error": "missing or wrong bearer token",
                                "fix": "send Authorization: Bearer $TRIPWIRE_API_TOKEN"}, 401)
        rm = read_model()
        if rm is None:
            return _json(self, {"error": "store not ready yet, retry in a few seconds"}, 503)
        query = dict(request.query)
        loop = asyncio.get_running_loop()
        try:
            data = await loop.run_in_executor(None, handler, rm, query)
        except Exception as exc:
            log.exception("read API %s failed", name)
            return _json(self, {"error": f"{name} query failed: {exc}"}, 500)
        return _json(self, data)

    return type(f"Api_{name.replace('/', '_')}", (View,), {"get": get})


def install_post(app: faust.App, name: str,
                 handler: Callable[[dict[str, Any]], Any], token: str | None) -> None:
    """Register ``POST /api/v1/<name>``: JSON body → ``await handler(body)`` → JSON.

    A ``ValueError`` from the handler is the client's fault (400, message returned)."""

    async def post(self: View, request: Request) -> Response:
        if not _authorized(request, token):
            return _json(self, {"error": "missing or wrong bearer token"}, 401)
        raw = await self.read_request_content(request)
        if len(raw) > MAX_POST_BYTES:
            return _json(self, {"error": f"body larger than {MAX_POST_BYTES} bytes"}, 413)
        try:
            body = orjson.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            return _json(self, await handler(body))
        except (orjson.JSONDecodeError, ValueError) as exc:
            return _json(self, {"error": str(exc)}, 400)

    app.page(f"/api/v1/{name}")(type(f"Post_{name}", (View,), {"post": post}))
