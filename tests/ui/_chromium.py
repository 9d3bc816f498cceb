"""Drive headless Chromium over the DevTools protocol (aiohttp websocket, no extra package).

``chromium --screenshot --virtual-time-budget`` returns before a Streamlit page has rendered:
Streamlit draws after websocket messages, which virtual time does not wait for. So a page is
loaded, polled until its text holds what the test expects and the spinners are gone, resized to
its full height and captured.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["CHROMIUM", "Browser", "PageShot", "find_chromium"]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--hide-scrollbars", "--remote-debugging-port=0", "--remote-allow-origins=*"]


def find_chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = find_chromium()

# True when the Streamlit page finished: no skeleton, no running script, no spinner.
_SETTLED_JS = """(() => {
  const busy = document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]');
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  const running = status && /Running|Connecting/i.test(status.innerText);
  return !busy && !running && !!document.querySelector('[data-testid="stMain"]');
})()"""
_HEIGHT_JS = """(() => { const m = document.querySelector('[data-testid="stMain"]');
  return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); })()"""


class PageShot:
    """What one page looked like: its visible text, its DOM and a PNG path."""

    def __init__(self, text: str, dom: str, png: Path, charts: int) -> None:
        self.text, self.dom, self.png, self.charts = text, dom, png, charts


class Browser:
    """One headless Chromium process; :meth:`shoot` loads a URL and captures it."""

    def __init__(self, binary: str, width: int = 1400, height: int = 1000) -> None:
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="tripwire-chromium-")
        self.proc = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
                                      f"--window-size={width},{height}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.port = self._devtools_port()
        self._ids = itertools.count(1)

    def _devtools_port(self, timeout: float = 30.0) -> int:
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited: {self.proc.stderr.read()[-2000:]!r}")  # type: ignore[union-attr]
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port")

    def close(self) -> None:
        """Stop Chromium and its helper processes (its own process group)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        shutil.rmtree(self.profile, ignore_errors=True)

    def shoot(self, url: str, png: Path, expect: list[str], timeout: float = 45.0) -> PageShot:
        """Load ``url``, wait until every string of ``expect`` is visible and the page settled,
        save a full-height screenshot to ``png``; raise AssertionError with the text if not."""
        return asyncio.run(self._shoot(url, png, expect, timeout))

    async def _shoot(self, url: str, png: Path, expect: list[str], timeout: float) -> PageShot:
        async with aiohttp.ClientSession() as http:
            async with http.put(f"http://127.0.0.1:{self.port}/json/new?about:blank") as r:
                target = json.loads(await r.text())
            try:
                async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    return await self._drive(ws, url, png, expect, timeout)
            finally:
                await http.get(f"http://127.0.0.1:{self.port}/json/close/{target['id']}")

    async def _call(self, ws: Any, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        await ws.send_str(json.dumps({"id": msg_id, "method": method, "params": params}))
        async for msg in ws:
            data = json.loads(msg.data)
            if data.get("id") == msg_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
        raise RuntimeError("DevTools connection closed")

    async def _eval(self, ws: Any, expression: str) -> Any:
        result = await self._call(ws, "Runtime.evaluate", expression=expression,
                                  returnByValue=True)
        return result.get("result", {}).get("value")

    async def _drive(self, ws: Any, url: str, png: Path, expect: list[str],
                     timeout: float) -> PageShot:
        await self._call(ws, "Emulation.setDeviceMetricsOverride", width=self.width,
                         height=self.height, deviceScaleFactor=1, mobile=False)
        await self._call(ws, "Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        text, stable = "", 0
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            text = await self._eval(ws, "document.body ? document.body.innerText : ''") or ""
            ready = all(e in text for e in expect) and await self._eval(ws, _SETTLED_JS)
            stable = stable + 1 if ready else 0
            if stable >= 3:  # settled for ~1.5 s: charts finished their first draw
                break
        else:
            raise AssertionError(f"{url}: never showed {expect}; visible text:\n{text[:3000]}")
        height = int(await self._eval(ws, _HEIGHT_JS) or self.height)
        await self._call(ws, "Emulation.setDeviceMetricsOverride", width=self.width,
                         height=min(max(height + 40, self.height), 12000), deviceScaleFactor=1,
                         mobile=False)
        await asyncio.sleep(1.5)  # re-layout and vega re-render at the new size
        shot = await self._call(ws, "Page.captureScreenshot", format="png")
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(base64.b64decode(shot["data"]))
        dom = await self._eval(ws, "document.documentElement.outerHTML") or ""
        charts = int(await self._eval(
            ws, "document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length") or 0)
        return PageShot(text, dom, png, charts)
