"""A golden-set run: every case sent with bounded concurrency under a cost cap, each answer
scored by the worker's own :class:`~streams.monitor.Enricher` (groundedness scorer, token
counter, price book), checked against its expectations, and summed up in one ``golden``
record (``docs/contracts.md``)."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

from detectors.llm import count_tokens
from streams.messages import messages_text
from streams.monitor import Enricher
from tripwire.golden._cases import GoldenCase
from tripwire.golden._client import ChatClient, ChatError

__all__ = ["CaseResult", "GoldenRun", "run_golden", "build_messages", "DEFAULT_SYSTEM"]

DEFAULT_SYSTEM = "Answer the question using only the context below."
_EXCERPT = 200


@dataclass
class CaseResult:
    """One case's outcome; ``failed`` names the checks that failed (``contains``,
    ``not_contains``, ``regex``, ``grounded``, ``max_cost_usd``, ``max_latency_ms``,
    ``error``, ``cost_cap``)."""

    id: str
    passed: bool = False
    failed: list[str] = field(default_factory=list)
    groundedness: float | None = None
    hallucinated: bool | None = None
    unsupported: list[str] = field(default_factory=list)
    cost_usd: float = 0.0
    latency_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 0
    pii: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    refusal: bool = False
    error: str = ""
    response_excerpt: str = ""


@dataclass
class GoldenRun:
    """The run record (topic ``tripwire.golden``, table ``golden_runs``)."""

    app: str
    prompt_version: str
    llm_model: str
    min_pass_rate: float
    cases: list[CaseResult]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ts: float = field(default_factory=time.time)

    @property
    def n_passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def pass_rate(self) -> float:
        return self.n_passed / len(self.cases) if self.cases else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.cases) and self.pass_rate >= self.min_pass_rate - 1e-12

    def to_record(self) -> dict[str, Any]:
        latencies = [c.latency_ms for c in self.cases if c.latency_ms is not None]
        grounded = [c.groundedness for c in self.cases if c.groundedness is not None]
        failed: dict[str, int] = {}
        for c in self.cases:
            for check in c.failed:
                failed[check] = failed.get(check, 0) + 1
        return {"kind": "golden", "run_id": self.run_id, "ts": self.ts, "app": self.app,
                "prompt_version": self.prompt_version, "llm_model": self.llm_model,
                "passed": self.passed, "n_cases": len(self.cases), "n_passed": self.n_passed,
                "pass_rate": self.pass_rate, "min_pass_rate": self.min_pass_rate,
                "cost_usd": sum(c.cost_usd for c in self.cases),
                "latency_ms_p50": _pct(latencies, 50), "latency_ms_p95": _pct(latencies, 95),
                "groundedness_mean": statistics.fmean(grounded) if grounded else None,
                "failed_checks": failed, "cases": [asdict(c) for c in self.cases]}


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def build_messages(case: GoldenCase, system: str | None) -> list[dict[str, Any]]:
    """The messages sent for a case: the system prompt (``{context}`` in it is replaced by
    the numbered context documents, else they are appended) and the case's input."""
    docs = "\n".join(f"[{i}] {doc}" for i, doc in enumerate(case.context, 1))
    text = system if system is not None else (DEFAULT_SYSTEM if case.context else None)
    if text is not None and case.context:
        text = text.replace("{context}", docs) if "{context}" in text else \
            f"{text}\n\nContext:\n{docs}"
    head = [{"role": "system", "content": text}] if text else []
    return head + [dict(m) for m in case.messages]


def check(case: GoldenCase, answer: str, enrich: dict[str, Any], latency_ms: float) -> list[str]:
    """The names of the expectations ``answer`` fails."""
    e, failed = case.expect, []
    if any(s not in answer for s in e.contains):
        failed.append("contains")
    if any(s in answer for s in e.not_contains):
        failed.append("not_contains")
    if e.regex is not None and e.regex.search(answer) is None:
        failed.append("regex")
    if e.grounded is not None and bool(enrich.get("hallucinated")) == e.grounded:
        failed.append("grounded")
    if e.max_cost_usd is not None and float(enrich["cost_usd"]) > e.max_cost_usd:
        failed.append("max_cost_usd")
    if e.max_latency_ms is not None and latency_ms > e.max_latency_ms:
        failed.append("max_latency_ms")
    return failed


class _Budget:
    """The run's cost cap: a call starts only if spent + reserved + its estimate fits."""

    def __init__(self, cap_usd: float) -> None:
        self.cap, self.spent, self.reserved = cap_usd, 0.0, 0.0

    def reserve(self, estimate: float) -> bool:
        if self.spent + self.reserved + estimate > self.cap:
            return False
        self.reserved += estimate
        return True

    def book(self, estimate: float, actual: float) -> None:
        self.reserved -= estimate
        self.spent += actual


async def _one(case: GoldenCase, system: str | None, client: ChatClient, enricher: Enricher,
               session: aiohttp.ClientSession, slots: asyncio.Semaphore,
               budget: _Budget) -> CaseResult:
    result = CaseResult(case.id)
    messages = build_messages(case, system)
    prompt = messages_text(messages)
    estimate = enricher.prices.price(client.model, count_tokens(client.model, prompt),
                                     client.max_tokens).usd
    async with slots:
        if not budget.reserve(estimate):
            result.failed, result.error = ["cost_cap"], \
                f"not run: the run's cost cap of ${budget.cap:g} would be exceeded"
            return result
        try:
            reply = await client.complete(session, messages)
        except ChatError as exc:
            budget.book(estimate, 0.0)
            result.failed, result.error = ["error"], str(exc)
            return result
    event = {"llm_model": client.model, "prompt": prompt, "response": reply.text,
             "context": list(case.context), "ts": time.time()}
    if reply.usage is not None:
        event["usage"] = {"input_tokens": reply.usage[0], "output_tokens": reply.usage[1]}
    enrich = enricher(event)
    budget.book(estimate, float(enrich["cost_usd"]))
    _fill(result, reply, enrich)
    result.failed = check(case, reply.text, enrich, reply.latency_ms)
    result.passed = not result.failed
    return result


def _fill(result: CaseResult, reply: Any, enrich: dict[str, Any]) -> None:
    result.groundedness = enrich.get("groundedness")
    result.hallucinated = bool(enrich.get("hallucinated"))
    result.unsupported = list(enrich.get("unsupported") or [])
    result.cost_usd = float(enrich["cost_usd"])
    result.latency_ms = round(reply.latency_ms, 1)
    result.input_tokens, result.output_tokens = enrich["input_tokens"], enrich["output_tokens"]
    result.attempts = reply.attempts
    result.pii, result.secrets = list(enrich["pii"]), list(enrich["secrets"])
    result.refusal = bool(enrich["refusal"])
    result.response_excerpt = reply.text[:_EXCERPT]


async def run_golden(cases: list[GoldenCase], client: ChatClient, enricher: Enricher, *,
                     app: str, prompt_version: str, system: str | None = None,
                     concurrency: int = 4, max_cost_usd: float = 1.0,
                     min_pass_rate: float = 1.0) -> GoldenRun:
    """Run every case (at most ``concurrency`` calls in flight) and return the run."""
    slots, budget = asyncio.Semaphore(concurrency), _Budget(max_cost_usd)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        results = await asyncio.gather(*(
            _one(case, system, client, enricher, session, slots, budget) for case in cases))
    return GoldenRun(app, prompt_version, client.model, min_pass_rate, list(results))
