"""A local OpenAI-compatible ``/v1/chat/completions`` for tests, in a background thread.

Behaviours (``mode``): ``good`` answers with the first context document found in the system
message; ``inventive`` adds a sentence with numbers the context does not have; ``slow`` is
``good`` after ``delay_s``; ``flaky`` answers 429 (``Retry-After: 1``) to the first request of
every question, then ``good``; ``down`` answers 503 always. It counts requests, the most
requests in flight at once, and every ``Authorization`` header it saw.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from typing import Any

from aiohttp import web

__all__ = ["FakeLLM"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answer(messages: list[dict[str, Any]]) -> str:
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    doc = re.search(r"\[1\] (.+)", system)
    return doc.group(1) if doc else "I do not know."


class FakeLLM:
    def __init__(self, mode: str = "good", delay_s: float = 1.2) -> None:
        self.mode, self.delay_s = mode, delay_s
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}/v1"
        self.requests = 0
        self.in_flight = self.max_in_flight = 0
        self.auth: list[str] = []
        self._seen: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    async def _chat(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self.auth.append(request.headers.get("Authorization", ""))
            body = await request.json()
            return await self._respond(body)
        finally:
            self.in_flight -= 1

    async def _respond(self, body: dict[str, Any]) -> web.Response:
        messages = body["messages"]
        question = messages[-1]["content"]
        if self.mode == "down":
            return web.json_response({"error": "overloaded"}, status=503)
        if self.mode == "flaky" and question not in self._seen:
            self._seen.add(question)
            return web.json_response({"error": "rate limited"}, status=429,
                                     headers={"Retry-After": "1"})
        if self.mode == "slow":
            await asyncio.sleep(self.delay_s)
        else:
            await asyncio.sleep(0.05)
        text = _answer(messages)
        if self.mode == "inventive":
            text += " Our records show 4,812 cases and a fee of 37 dollars since 2019."
        return web.json_response({
            "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 60, "completion_tokens": len(text.split()) + 2,
                      "total_tokens": 62 + len(text.split())}})

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def __enter__(self) -> FakeLLM:
        self._thread = threading.Thread(target=self._serve, name="fake-llm", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake LLM endpoint did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
