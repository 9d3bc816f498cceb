"""Optional LLM judge: sampled, cost-capped, asynchronous groundedness verdicts.

The worker calls :meth:`LLMJudge.offer` on its event loop for every valid LLM event. ``offer``
is synchronous and O(1): it samples deterministically by ``event_id`` (a replay judges the
same events), checks the UTC-day budget with a chars/4 estimate, and ``put_nowait``s into a
bounded queue; it never waits and never raises. :meth:`LLMJudge.run`, a background task,
POSTs up to ``max_concurrency`` chat completions at a time to any OpenAI-compatible
endpoint, accounts the real cost from ``usage`` and hands each :class:`Verdict` to
``on_verdict``. The API key never appears in logs, reprs, exceptions or verdicts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from streams._judge_http import CallFailed, Secret, ThrottledLog, chat_url, post_json
from streams._judge_prompt import (
    JudgeReplyError,
    build_messages,
    input_chars,
    parse_verdict,
    reply_content,
    usage_tokens,
)

__all__ = ["LLMJudge", "Verdict", "JudgeReplyError"]

log = logging.getLogger("tripwire.judge")

_DAY = 86_400
_MTOK = 1_000_000
_COUNTERS = ("offered", "sampled", "queued", "judged", "failed", "retried", "skipped_budget",
             "dropped_queue_full", "invalid")


@dataclass(frozen=True)
class Verdict:
    """The judge's view of one event."""

    event_id: str
    app: str
    prompt_version: str
    grounded: bool
    score: float  # 0..1 support of the response by the context
    reason: str  # short, from the judge; never includes the API key
    cost_usd: float
    latency_ms: float
    model: str


def sample_point(event_id: str) -> float:
    """Deterministic point in [0, 1) for ``event_id``: sampled when it is < ``sample_rate``."""
    return int.from_bytes(hashlib.sha1(event_id.encode()).digest()[:4], "big") / 2**32


def _rates(model: str, inp: float | None, out: float | None) -> tuple[float, float, float, bool]:
    """(fixed USD per call, USD per input token, USD per output token, price known).

    Given prices win; a missing one comes from detectors.llm.PriceBook (genai-prices' table)."""
    for name, given in (("input_per_mtok", inp), ("output_per_mtok", out)):
        if given is not None and not (math.isfinite(given) and given >= 0):
            raise ValueError(f"judge {name} must be a finite number >= 0, got {given!r}")
    if inp is not None and out is not None:
        return 0.0, inp / _MTOK, out / _MTOK, True
    from detectors.llm import PriceBook

    book = PriceBook()
    zero = book.price(model, 0, 0)
    per_in = (book.price(model, _MTOK, 0).usd - zero.usd) / _MTOK if inp is None else inp / _MTOK
    per_out = (book.price(model, 0, _MTOK).usd - zero.usd) / _MTOK if out is None else out / _MTOK
    return zero.usd, per_in, per_out, zero.source != "unknown-rule"


class LLMJudge:
    """Sampled, cost-capped LLM judge against ``{base_url}/chat/completions``."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, *,
                 sample_rate: float = 0.05, daily_budget_usd: float = 1.0,
                 timeout_s: float = 20.0, max_concurrency: int = 4, max_queue: int = 1000,
                 input_per_mtok: float | None = None, output_per_mtok: float | None = None,
                 clock: Callable[[], float] = time.time,
                 session: aiohttp.ClientSession | None = None, allow_http: bool = False,
                 max_output_tokens: int = 256, retry_cap_s: float = 10.0) -> None:
        self._url = chat_url(base_url, allow_http)
        if not isinstance(model, str) or not model.strip():
            raise ValueError("judge model is empty: name the judge model, e.g. gpt-4o-mini")
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"judge sample_rate must be in [0, 1], got {sample_rate!r}")
        if not (math.isfinite(daily_budget_usd) and daily_budget_usd >= 0):
            raise ValueError(f"judge daily_budget_usd must be >= 0, got {daily_budget_usd!r}")
        if not timeout_s > 0 or max_concurrency < 1 or max_queue < 1 or max_output_tokens < 1:
            raise ValueError("judge timeout_s must be > 0 and max_concurrency, max_queue, "
                             "max_output_tokens >= 1")
        self.model = model
        self._key = Secret(api_key)
        self.sample_rate, self.daily_budget_usd = float(sample_rate), float(daily_budget_usd)
        self.timeout_s, self.max_concurrency = float(timeout_s), int(max_concurrency)
        self.max_output_tokens, self.retry_cap_s = int(max_output_tokens), float(retry_cap_s)
        self._base, self._per_in, self._per_out, known = _rates(model, input_per_mtok,
                                                                output_per_mtok)
        if not known:
            log.warning("no price known for judge model %r: its cost counts as 0 and "
                        "daily_budget_usd does not limit it; set judge.input_per_mtok and "
                        "judge.output_per_mtok", model)
        self._clock, self._session = clock, session
        self._queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue(maxsize=max_queue)
        self._day, self._spent, self._reserved = -1, 0.0, 0.0
        self._closed = False
        self._runner: asyncio.Task[None] | None = None
        self._throttled = ThrottledLog(log)
        self.counters: dict[str, Any] = dict.fromkeys(_COUNTERS, 0)
        self.counters.update(cost_usd_today=0.0, cost_usd_total=0.0, in_flight=0)

    def __repr__(self) -> str:
        return (f"LLMJudge(url={self._url!r}, model={self.model!r}, key={self._key!r}, "
                f"sample_rate={self.sample_rate}, daily_budget_usd={self.daily_budget_usd})")

    # ---- the hot path --------------------------------------------------------------------
    def offer(self, event: dict[str, Any]) -> bool:
        """Queue ``event`` for judging if sampled and affordable; True when queued. O(1)."""
        c = self.counters
        c["offered"] += 1
        try:
            event_id = event["event_id"]
            if not isinstance(event_id, str):
                event_id = str(event_id)
            if self._closed or sample_point(event_id) >= self.sample_rate:
                return False
            c["sampled"] += 1
            if self._queue.full():
                c["dropped_queue_full"] += 1
                self._throttled.warning("full", "judge queue full (%d): events not judged",
                                        self._queue.maxsize)
                return False
            prompt, response = event.get("prompt") or "", event.get("response") or ""
            context = event.get("context") or []
            est = self.cost(input_chars(prompt, response, context) / 4, self.max_output_tokens)
            self._roll_day()
            if self._spent + self._reserved + est > self.daily_budget_usd:
                c["skipped_budget"] += 1
                return False
            self._queue.put_nowait((event_id, str(event.get("app") or ""),
                                    str(event.get("prompt_version") or ""), prompt, response,
                                    context, est))
        except Exception as exc:  # never raise into the stream
            c["invalid"] += 1
            self._throttled.warning("invalid", "judge skipped an event: %s", type(exc).__name__)
            return False
        self._reserved += est
        c["queued"] += 1
        return True

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        """USD for one judge call of this many tokens at the judge model's price."""
        return self._base + input_tokens * self._per_in + output_tokens * self._per_out

    def _roll_day(self) -> None:
        day = int(self._clock() // _DAY)
        if day != self._day:
            self._day, self._spent = day, 0.0
            self.counters["cost_usd_today"] = 0.0

    def _book(self, reserved: float, charge: float) -> None:
        self._reserved = max(0.0, self._reserved - reserved)
        self._roll_day()
        self._spent += charge
        self.counters["cost_usd_today"] = self._spent
        self.counters["cost_usd_total"] += charge

    # ---- the background loop ---------------------------------------------------------------
    async def run(self, on_verdict: Callable[[Verdict], Awaitable[None]]) -> None:
        """Judge queued events until cancelled; never raises except CancelledError."""
        self._runner = asyncio.current_task()
        if self._closed:
            return
        own = self._session is None
        session = self._session or aiohttp.ClientSession()
        slots = asyncio.Semaphore(self.max_concurrency)
        tasks: set[asyncio.Task[None]] = set()

        def done(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            slots.release()

        try:
            while True:
                await slots.acquire()
                try:
                    item = await self._queue.get()
                except BaseException:
                    slots.release()
                    raise
                task = asyncio.create_task(self._judge(session, item, on_verdict))
                tasks.add(task)
                task.add_done_callback(done)
        finally:
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if own:
                await session.close()

    async def _judge(self, session: aiohttp.ClientSession, item: tuple[Any, ...],
                     on_verdict: Callable[[Verdict], Awaitable[None]]) -> None:
        event_id, app, version, prompt, response, context, est = item
        started, charge, verdict = time.perf_counter(), est, None
        self.counters["in_flight"] += 1
        try:
            reply = await post_json(session, self._url, self._payload(prompt, response, context),
                                    self._headers(), self.timeout_s, self.retry_cap_s,
                                    self._on_retry, timeout_charge=est)
            usage = usage_tokens(reply)
            charge = est if usage is None else self.cost(*usage)
            grounded, score, reason = parse_verdict(reply_content(reply))
            verdict = Verdict(event_id, app, version, grounded, score, self._key.scrub(reason),
                              charge, (time.perf_counter() - started) * 1e3, self.model)
        except asyncio.CancelledError:
            raise
        except CallFailed as exc:
            charge = exc.charge
            self._fail(exc.kind, exc.detail)
        except JudgeReplyError as exc:
            self._fail("reply", str(exc))
        except Exception as exc:  # noqa: BLE001 - run() must survive anything
            charge = 0.0
            self._fail("error", f"{type(exc).__name__}: {exc}")
        finally:
            self.counters["in_flight"] -= 1
            self._book(est, charge)
        if verdict is None:
            return
        self.counters["judged"] += 1
        log.debug("judged %s: grounded=%s score=%.2f cost=$%.6f", event_id, verdict.grounded,
                  verdict.score, verdict.cost_usd)
        try:
            await on_verdict(verdict)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001
            self._fail("callback", f"on_verdict raised {type(exc).__name__}", count=False)

    def _payload(self, prompt: Any, response: Any, context: Any) -> dict[str, Any]:
        return {"model": self.model, "messages": build_messages(prompt, response, context),
                "temperature": 0, "max_tokens": self.max_output_tokens,
                "response_format": {"type": "json_object"}}

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._key.reveal():
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        return headers

    def _on_retry(self) -> None:
        self.counters["retried"] += 1

    def _fail(self, kind: str, detail: str, count: bool = True) -> None:
        if count:
            self.counters["failed"] += 1
        self._throttled.warning(kind, "judge call failed (%s): %s", kind, self._key.scrub(detail))

    # ---- shutdown ----------------------------------------------------------------------------
    def close(self) -> None:
        """Stop accepting events and cancel the run task (if any); does not wait."""
        self._closed = True
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()

    async def aclose(self) -> None:
        """Stop accepting events, cancel the run task and wait until it has stopped."""
        self.close()
        runner = self._runner
        if runner is not None and runner is not asyncio.current_task():
            await asyncio.wait({runner})  # not `await runner`: keeps our own cancellation

