"""The UI's only way to data: GET requests to the worker's read API (``/api/v1``).

The base URL is ``TRIPWIRE_API_URL``, else ``http://127.0.0.1:$TRIPWIRE_API_PORT`` (default
port 6066); ``TRIPWIRE_API_TOKEN``, when set, is sent as a bearer token. Answers are cached for
a few seconds so that one page run asks each question once. :func:`fetch` turns any failure
into an error box that names the URL and the fix, then stops the page.
"""

from __future__ import annotations

import os
from typing import Any

import requests
import streamlit as st

__all__ = ["ApiError", "api_base", "clear_cache", "fetch", "get", "show_error"]

TIMEOUT = (3.05, 20.0)  # connect, read (seconds)
CACHE_TTL_S = 10


class ApiError(RuntimeError):
    """The read API could not answer; ``fix`` says what the user can do about it."""

    def __init__(self, url: str, problem: str, fix: str) -> None:
        super().__init__(f"{problem} ({url})")
        self.url, self.problem, self.fix = url, problem, fix


def api_base() -> str:
    """The read API's base URL, without a trailing slash."""
    url = os.environ.get("TRIPWIRE_API_URL", "").strip()
    if not url:
        url = f"http://127.0.0.1:{os.environ.get('TRIPWIRE_API_PORT', '6066').strip() or 6066}"
    return url.rstrip("/")


def _token() -> str:
    return os.environ.get("TRIPWIRE_API_TOKEN", "").strip()


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=500)
def _cached(base: str, route: str, params: tuple[tuple[str, str], ...], token: str) -> Any:
    return _request(base, route, dict(params), token)


def _request(base: str, route: str, params: dict[str, str], token: str) -> Any:
    url = f"{base}/api/v1/{route}"
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = requests.get(url, params=params, headers=headers, timeout=TIMEOUT)
    except requests.Timeout:
        raise ApiError(url, "The read API did not answer in time",
                       "Check that the worker is running and not overloaded "
                       "(`tripwire status`), then reload.") from None
    except requests.RequestException as exc:
        raise ApiError(url, f"Cannot reach the Tripwire read API: {type(exc).__name__}",
                       "Start the stack with `tripwire up` (or `tripwire worker`), or point "
                       "the UI at a running worker with `TRIPWIRE_API_URL=http://host:6066`."
                       ) from None
    return _decode(url, response)


def _decode(url: str, response: requests.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 401:
        raise ApiError(url, "The read API refused the request (401 Unauthorized)",
                       "Set `TRIPWIRE_API_TOKEN` for the UI to the worker's `api_token`.")
    if response.status_code == 503:
        raise ApiError(url, "The worker is up but its store is not ready yet",
                       "Wait a few seconds and reload.")
    if response.status_code != 200 or body is None:
        detail = body.get("error") if isinstance(body, dict) else response.text[:200]
        raise ApiError(url, f"The read API answered HTTP {response.status_code}: {detail}",
                       "See the worker's log (`<data dir>/logs/worker.log`).")
    return body


def get(route: str, **params: Any) -> Any:
    """GET ``/api/v1/<route>`` with query ``params`` (``None`` values dropped); raises ApiError."""
    clean = tuple(sorted((k, str(v)) for k, v in params.items() if v is not None))
    return _cached(api_base(), route, clean, _token())


def clear_cache() -> None:
    """Forget cached answers (the "refresh now" button)."""
    _cached.clear()


def show_error(err: ApiError) -> None:
    """The error box: what failed, where, and what to do."""
    st.error(f"**{err.problem}.**\n\nURL: `{err.url}`\n\nFix: {err.fix}", icon=":material/error:")


def fetch(route: str, **params: Any) -> Any:
    """Like :func:`get`, but on failure show the error box and stop this page run."""
    try:
        return get(route, **params)
    except ApiError as err:
        show_error(err)
        st.stop()
