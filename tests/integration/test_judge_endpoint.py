"""LLMJudge against a fake OpenAI-compatible endpoint (aiohttp.web on 127.0.0.1, random port).

The endpoint answers chat completions with ``usage`` and a JSON verdict computed from the
request: grounded=false when the answer has a number the context lacks. It can be slow, rate
limit (429 with Retry-After) or fail, and it counts requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from streams.judge import LLMJudge, Verdict

pytestmark = pytest.mark.integration

KEY = "sk-integration-0a1b2c3d4e5f-SECRET"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_TAG = re.compile(r"<(context|answer)>\n(.*?)\n</\1>", re.DOTALL)


@dataclass
class FakeEndpoint:
    delay_s: float = 0.0
    rate_limit_first: bool = False  # 429 + Retry-After: 1 on the first try of each answer
    always_503: bool = False
    in_flight: int = 0
    max_in_flight: int = 0
    requests: int = 0
    auth: list[str | None] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self.auth.append(request.headers.get("Authorization"))
            body = await request.json()
            await asyncio.sleep(self.delay_s)
            return self.reply(body)
        finally:
            self.in_flight -= 1

    def reply(self, body: dict) -> web.Response:
        user = body["messages"][-1]["content"]
        parts = dict(_TAG.findall(user))
        answer = parts.get("answer", "")
        self.seen[answer] = self.seen.get(answer, 0) + 1
        if self.always_503:
            return web.Response(status=503, headers={"Retry-After": "0"})
        if self.rate_limit_first and self.seen[answer] == 1:
            return web.json_response({"error": {"message": "slow down"}}, status=429,
                                     headers={"Retry-After": "1"})
        missing = [n for n in _NUMBER.findall(answer) if n not in parts.get("context", "")]
        verdict = {"grounded": not missing, "score": 0.1 if missing else 0.95,
                   "reason": f"{missing[0]} not in context" if missing else "supported"}
        content = f"```json\n{json.dumps(verdict)}\n```"
        prompt_chars = sum(len(m["content"]) for m in body["messages"])
        return web.json_response({
            "id": "chatcmpl-fake", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": prompt_chars // 4 + len(content) // 4},
        })


@contextlib.asynccontextmanager
async def endpoint(**kw) -> AsyncIterator[FakeEndpoint]:
    fake = FakeEndpoint(**kw)
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}/v1"
    try:
        yield fake
    finally:
        await runner.cleanup()


def event(i: int, grounded: bool = True) -> dict:
    amount = "30" if grounded else str(31 + i)
    return {"event_id": f"evt-{i}", "ts": 1_750_000_000.0 + i, "app": "support",
            "prompt_version": "v2", "llm_model": "gpt-4o-mini",
            "prompt": "How long is the refund window?",
            "response": f"You can return items within {amount} days (ticket {i}).",
            "context": [f"Refunds are accepted within 30 days of purchase. Ticket {i}.",
                        "Shipping is free above 50 EUR."]}


class Collector:
    def __init__(self) -> None:
        self.verdicts: list[Verdict] = []

    async def __call__(self, verdict: Verdict) -> None:
        self.verdicts.append(verdict)

    async def wait(self, judge: LLMJudge, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while judge.counters["judged"] + judge.counters["failed"] < n:
            assert time.monotonic() < deadline, judge.counters
            await asyncio.sleep(0.01)


async def stop(task: asyncio.Task) -> float:
    started = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return time.perf_counter() - started


def make_judge(url: str, **kw) -> LLMJudge:
    kw.setdefault("sample_rate", 1.0)
    kw.setdefault("input_per_mtok", 0.15)
    kw.setdefault("output_per_mtok", 0.60)
    return LLMJudge(url, "judge-mini", KEY, **kw)


def test_verdicts_flags_cost_and_authorization(caplog):
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        async with endpoint(delay_s=0.05) as fake:
            judge = make_judge(fake.url, max_concurrency=4, daily_budget_usd=1.0)
            got = Collector()
            task = asyncio.create_task(judge.run(got))
            expected = {f"evt-{i}": i % 3 != 0 for i in range(30)}
            for i in range(30):
                assert judge.offer(event(i, grounded=i % 3 != 0))
            await got.wait(judge, 30, timeout=10)
            assert await stop(task) < 0.5
        assert {v.event_id: v.grounded for v in got.verdicts} == expected
        assert all(v.app == "support" and v.prompt_version == "v2" and v.model == "judge-mini"
                   for v in got.verdicts)
        assert all((v.score < 0.5) != v.grounded for v in got.verdicts)
        assert all(v.latency_ms >= 50 and v.cost_usd > 0 for v in got.verdicts)
        bad = [v for v in got.verdicts if not v.grounded]
        assert all("not in context" in v.reason for v in bad)
        assert fake.auth == [f"Bearer {KEY}"] * 30
        assert judge.counters["cost_usd_today"] == pytest.approx(
            sum(v.cost_usd for v in got.verdicts))
        assert judge.counters["failed"] == 0 and judge.counters["in_flight"] == 0

    asyncio.run(main())
    assert KEY not in caplog.text


def test_slow_server_bounded_concurrency_fast_offers_clean_cancel():
    async def main() -> None:
        async with endpoint(delay_s=2.0) as fake:
            judge = make_judge(fake.url, max_concurrency=3, max_queue=50, sample_rate=0.05,
                               daily_budget_usd=100.0, timeout_s=10)
            got = Collector()
            task = asyncio.create_task(judge.run(got))
            offer_time = 0.0
            for batch in range(10):  # a stream of 5,000 events in batches, as the worker sees
                events = [event(batch * 500 + i, grounded=i % 2 == 0) for i in range(500)]
                started = time.perf_counter()
                for e in events:
                    judge.offer(e)
                offer_time += time.perf_counter() - started
                await asyncio.sleep(0)
            # a blocking offer (a request per event) would take seconds; loose for shared boxes
            assert offer_time < 1.0, f"5,000 offers took {offer_time * 1e3:.0f} ms"
            sampled = judge.counters["sampled"]
            assert 150 < sampled < 350
            assert judge.counters["queued"] + judge.counters["dropped_queue_full"] == sampled
            assert judge.counters["dropped_queue_full"] > 0  # 3 calls / 2 s cannot keep up
            await got.wait(judge, 6, timeout=6)  # two rounds of 3
            assert fake.max_in_flight == 3
            assert await stop(task) < 0.5  # calls in flight are abandoned, not awaited
            assert judge.counters["in_flight"] == 0
        assert fake.max_in_flight <= 3

    asyncio.run(main())


def test_rate_limited_then_ok_and_persistent_5xx():
    async def main() -> None:
        async with endpoint(rate_limit_first=True) as fake:
            judge = make_judge(fake.url, max_concurrency=2)
            got = Collector()
            task = asyncio.create_task(judge.run(got))
            started = time.perf_counter()
            for i in range(4):
                judge.offer(event(i))
            await got.wait(judge, 4, timeout=10)
            elapsed = time.perf_counter() - started
            await stop(task)
        assert judge.counters["judged"] == 4 and judge.counters["retried"] == 4
        assert elapsed >= 1.0  # Retry-After: 1 was honoured
        assert fake.requests == 8
        async with endpoint(always_503=True) as fake:
            judge = make_judge(fake.url)
            task = asyncio.create_task(judge.run(got))
            judge.offer(event(9))
            await got.wait(judge, 1, timeout=5)
            await stop(task)
        assert judge.counters["failed"] == 1 and fake.requests == 2  # one retry only
        assert judge.counters["cost_usd_today"] == 0.0

    asyncio.run(main())


def test_timeout_counts_as_failed_and_the_loop_goes_on(caplog):
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        async with endpoint(delay_s=1.0) as fake:
            judge = make_judge(fake.url, timeout_s=0.2, max_concurrency=2)
            got = Collector()
            task = asyncio.create_task(judge.run(got))
            for i in range(3):
                judge.offer(event(i))
            await got.wait(judge, 3, timeout=5)
            assert judge.counters["failed"] == 3 and not got.verdicts
            assert judge.counters["cost_usd_today"] > 0  # a timed-out call may still be billed
            fake.delay_s = 0.0
            judge.offer(event(10))
            await got.wait(judge, 4, timeout=5)
            await stop(task)
        assert [v.event_id for v in got.verdicts] == ["evt-10"]

    asyncio.run(main())
    assert "judge call failed (timeout)" in caplog.text and KEY not in caplog.text


def test_daily_budget_holds_with_real_usage():
    async def main() -> None:
        async with endpoint() as fake:
            # $50/Mtok in, $100/Mtok out: ~1 cent per call, so a 10-cent budget stops ~10 calls
            judge = make_judge(fake.url, daily_budget_usd=0.10, input_per_mtok=50.0,
                               output_per_mtok=100.0, max_concurrency=4)
            got = Collector()
            task = asyncio.create_task(judge.run(got))
            for batch in range(20):
                for i in range(25):
                    judge.offer(event(batch * 25 + i))
                await asyncio.sleep(0.02)  # calls complete between batches; room is re-checked
            await got.wait(judge, judge.counters["queued"], timeout=10)
            await stop(task)
        c = judge.counters
        assert 5 <= c["judged"] < 100 and c["skipped_budget"] > 400
        assert c["cost_usd_today"] <= 0.10
        assert sum(v.cost_usd for v in got.verdicts) <= 0.10
        assert fake.requests == c["judged"]

    asyncio.run(main())
