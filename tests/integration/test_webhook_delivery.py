"""Webhook delivery against real aiohttp receivers on 127.0.0.1 (T17, T18, T19, T20).

No broker: the Kafka loop of streams/delivery.py is driven by a fake consumer.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import pathlib
import socket
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import HTTPServer
from itertools import pairwise
from typing import NamedTuple

import pytest
from aiohttp import web
from aiokafka.structs import TopicPartition

from sinks.webhooks import (
    Deliverer,
    Destination,
    EgressPolicy,
    MemoryDeliveryLog,
    Notification,
    RetryPolicy,
    Route,
    generate_secret,
    parse_retry_after,
    verify,
)
from streams.delivery import DeliveryPipeline, run_delivery, send_test

SECRET = generate_secret()
LOOPBACK = EgressPolicy(allow_http=True, allow_hosts=("127.0.0.1",))
ROOT = pathlib.Path(__file__).resolve().parents[2]


def alert(state="firing", alert_id="a1", ts=1_700_000_600.0, entity="churn", **kw):
    return {
        "kind": "alert",
        "alert_id": alert_id,
        "entity_type": "model",
        "entity": entity,
        "metric": "drift.psi",
        "dimension": "age",
        "state": state,
        "severity": "critical",
        "ts": ts,
        "value": 0.31,
        "threshold": 0.2,
        **kw,
    }


class Receiver:
    """aiohttp receiver on a random loopback port; answers from a script, then `default`."""

    def __init__(self, script=(), default=200, delay=0.0, fail=None):
        self.script, self.default, self.delay = list(script), default, delay
        self.fail = dict(fail or {})  # body substring -> how many 500s to answer first
        self.requests: list[dict] = []
        self.processed: Counter = Counter()  # 2xx decisions per webhook-id (dedupe view)

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)  # the receiver's log is not ours
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc):
        await self._runner.cleanup()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request):
        body = await request.read()
        item = self.script.pop(0) if self.script else self.default
        for needle, left in self.fail.items():
            if left and needle.encode() in body:
                item, self.fail[needle] = 500, left - 1
        status, headers = item if isinstance(item, tuple) else (item, {})
        self.requests.append(
            {
                "headers": dict(request.headers),
                "body": body,
                "status": status,
                "t": time.monotonic(),
                "path": request.path_qs,
            }
        )
        if 200 <= status < 300:
            self.processed[request.headers.get("webhook-id")] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=status, headers=headers)

    def ids(self):
        return [r["headers"].get("webhook-id") for r in self.requests]

    def gaps(self):
        return [b["t"] - a["t"] for a, b in pairwise(self.requests)]


def dest(url, schedule=(0.01, 0.01, 0.01), kind="generic", jitter=0.0, **kw):
    extra = {"secrets": [SECRET]} if kind == "generic" else {}
    if kind == "pagerduty":
        extra = {"routing_key": "R" * 32}
    return Destination(
        "recv",
        kind,
        url,
        policy=kw.pop("policy", LOOPBACK),
        retry=RetryPolicy(schedule, jitter=jitter),
        **{**extra, **kw},
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- retries --------------------------------------------------------------------------------


def test_three_500s_then_success_is_delivered_exactly_once():
    async def main():
        async with Receiver([500, 500, 500]) as rx:
            log = MemoryDeliveryLog()
            async with Deliverer(dest(rx.url(), (0.1, 0.2, 0.4, 0.8)), log) as d:
                res = await d.deliver(alert())
            return rx, log, res

    rx, log, res = asyncio.run(main())
    assert res.ok and res.attempts == 4 and res.status == 200 and not res.dead_lettered
    assert len(set(rx.ids())) == 1 and len(rx.requests) == 4
    assert [r["status"] for r in rx.requests] == [500, 500, 500, 200]
    assert len({r["body"] for r in rx.requests}) == 1  # same body on every attempt
    for r in rx.requests:  # every attempt carries a valid signature
        assert verify(r["headers"], r["body"], SECRET)
    rows = log.attempts(res.webhook_id)
    assert [(r["attempt"], r["status"], r["ok"]) for r in rows] == [
        (1, 500, False),
        (2, 500, False),
        (3, 500, False),
        (4, 200, True),
    ]
    assert all(r["error"] == "HTTP 500" for r in rows[:3]) and rows[3]["error"] == ""
    for gap, want in zip(rx.gaps(), (0.1, 0.2, 0.4), strict=True):
        assert want <= gap < want + 0.15
    assert log.dead_letters == []


def test_receiver_down_for_good_goes_to_dead_letter():
    async def main():
        log = MemoryDeliveryLog()
        async with Deliverer(dest(f"http://127.0.0.1:{free_port()}/hook", timeout_s=2), log) as d:
            return log, await d.deliver(alert())

    log, res = asyncio.run(main())
    assert not res.ok and res.dead_lettered and res.attempts == 4
    assert [r["attempt"] for r in log.rows] == [1, 2, 3, 4]
    assert all(r["status"] == 0 and not r["ok"] and r["error"] for r in log.rows)
    (dead,) = log.dead_letters
    assert dead["attempts"] == 4 and dead["webhook_id"] == res.webhook_id
    assert dead["records"][0]["alert_id"] == "a1"
    ref = f"alert|a1|{dead['records'][0]['state']}|{float(dead['records'][0]['ts'])!r}"
    assert dead["refs"] == [ref] and all(r["refs"] == [ref] for r in log.rows)


def test_persistent_503_dead_letters_with_every_attempt_logged():
    async def main():
        async with Receiver(default=503) as rx:
            log = MemoryDeliveryLog()
            async with Deliverer(dest(rx.url()), log) as d:
                return rx, log, await d.deliver(alert())

    rx, log, res = asyncio.run(main())
    assert res.dead_lettered and len(rx.requests) == 4 and len(log.rows) == 4
    assert log.dead_letters[0]["status"] == 503


def test_429_retry_after_seconds_is_honoured():
    async def main():
        async with Receiver([(429, {"Retry-After": "1"})]) as rx:
            log = MemoryDeliveryLog()
            async with Deliverer(dest(rx.url(), (0.01,)), log) as d:
                return rx, log, await d.deliver(alert())

    rx, log, res = asyncio.run(main())
    assert res.ok and [r["status"] for r in log.rows] == [429, 200]
    assert 1.0 <= rx.gaps()[0] < 1.3


def test_503_retry_after_http_date_is_honoured():
    async def main():
        when = formatdate(time.time() + 2, usegmt=True)  # whole seconds: 1..2 s from now
        async with Receiver([(503, {"Retry-After": when})]) as rx:
            async with Deliverer(dest(rx.url(), (0.01,)), MemoryDeliveryLog()) as d:
                return rx, await d.deliver(alert())

    rx, res = asyncio.run(main())
    assert res.ok and 0.9 <= rx.gaps()[0] < 2.3


def test_retry_after_parsing_and_cap():
    now = 1_700_000_000.0
    assert parse_retry_after("7") == 7.0 and parse_retry_after(None) is None
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now) == pytest.approx(30)
    assert parse_retry_after("soon") is None
    policy = RetryPolicy((1.0,), jitter=0.0, max_retry_after_s=60)
    assert policy.delay(0, retry_after=10_000) == 60


def test_full_jitter_stays_within_the_schedule():
    import random

    policy, rng = RetryPolicy((1, 5, 30, 120, 600)), random.Random(7)
    for i, cap in enumerate(policy.schedule_s):
        draws = [policy.delay(i, rng=rng) for _ in range(200)]
        assert 0 <= min(draws) and max(draws) <= cap and max(draws) > cap / 2


@pytest.mark.parametrize(
    "status, attempts",
    [(400, 1), (401, 1), (404, 1), (422, 1), (408, 2), (302, 1), (301, 1), (410, 1)],
)
def test_status_classification(status, attempts):
    async def main():
        async with Receiver([(status, {"Location": "http://127.0.0.1:1/elsewhere"})]) as rx:
            log = MemoryDeliveryLog()
            async with Deliverer(dest(rx.url(), (0.01,)), log) as d:
                res = await d.deliver(alert())
                again = await d.deliver(alert(alert_id="a2"))
            return rx, log, res, again

    rx, log, res, again = asyncio.run(main())
    assert len(log.attempts(res.webhook_id)) == attempts
    assert all(r["path"] == "/hook" for r in rx.requests)  # redirects never followed
    if status == 408:
        assert res.ok
    else:
        assert res.dead_lettered and not res.ok
    if 300 <= status < 400:
        assert "redirects are not followed" in res.error
    if status == 410:  # disabled: the next notification is not even sent
        assert again.dead_lettered and again.attempts == 0 and len(rx.requests) == 1


def test_hanging_receiver_times_out_and_is_retried():
    async def main():
        async with Receiver(delay=1.0) as rx:
            log = MemoryDeliveryLog()
            async with Deliverer(dest(rx.url(), (0.01,), timeout_s=0.3), log) as d:
                t0 = time.monotonic()
                res = await d.deliver(alert())
                return log, res, time.monotonic() - t0

    log, res, took = asyncio.run(main())
    assert res.dead_lettered and [r["error"] for r in log.rows] == ["timeout after 0.3s"] * 2
    assert took < 1.0
    assert Destination("x", "slack", "https://a.example.com/").timeout_s <= 30


# -- restart safety -----------------------------------------------------------------------


def test_deliverer_killed_mid_retry_and_restarted_delivers_once():
    async def main():
        async with Receiver([500, 500, 500, 500]) as rx:
            log = MemoryDeliveryLog()
            first = Deliverer(dest(rx.url(), (0.05, 0.05, 5, 5, 5)), log)
            task = asyncio.create_task(first.deliver(alert()))
            while len(rx.requests) < 3:
                await asyncio.sleep(0.01)
            task.cancel()  # the worker dies while waiting 5 s before attempt 4
            with pytest.raises(asyncio.CancelledError):
                await task
            await first.close()
            rx.script.clear()
            async with Deliverer(dest(rx.url(), (0.05,)), log) as second:
                res = await second.deliver(alert())
            async with Deliverer(dest(rx.url(), (0.05,)), log) as third:
                replay = await third.deliver(alert())
            return rx, log, res, replay

    rx, log, res, replay = asyncio.run(main())
    assert res.ok and replay.skipped and replay.ok
    assert len(set(rx.ids())) == 1 and len(rx.requests) == 4
    assert sum(rx.processed.values()) == 1
    assert sum(r["ok"] for r in log.rows) == 1 and len(log.rows) == 4


def test_killed_after_receiver_accepted_is_deduped_by_the_receiver():
    async def main():
        async with Receiver(delay=0.5) as rx:  # accepts, then answers late
            log = MemoryDeliveryLog()
            first = Deliverer(dest(rx.url()), log)
            task = asyncio.create_task(first.deliver(alert()))
            while not rx.requests:
                await asyncio.sleep(0.01)
            task.cancel()  # dies before it learns of the 2xx
            await asyncio.gather(task, return_exceptions=True)
            await first.close()
            rx.delay = 0.0
            async with Deliverer(dest(rx.url()), log) as second:
                return rx, await second.deliver(alert())

    rx, res = asyncio.run(main())
    assert res.ok and len(rx.requests) == 2 and len(set(rx.ids())) == 1
    assert list(rx.processed.values()) == [2]  # same id twice: receivers dedupe by webhook-id


# -- docs/receiver.py ----------------------------------------------------------------------


def load_docs_receiver():
    spec = importlib.util.spec_from_file_location("docs_receiver", ROOT / "docs" / "receiver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_receiver_verifies_signature_and_tolerance():
    mod = load_docs_receiver()
    lines = [ln for ln in (ROOT / "docs" / "receiver.py").read_text().splitlines() if ln.strip()]
    assert len(lines) <= 40
    from sinks.webhooks import signature_headers

    body, now = b'{"type":"alert.firing"}', 1_700_000_000
    good = signature_headers("msg_1", now, body, [SECRET])
    assert mod.verify(good, body, SECRET, now=now)
    assert not mod.verify(good, body[:-1] + b"]", SECRET, now=now)  # 1 byte changed
    assert not mod.verify(good, body, SECRET, now=now + 301)  # older than the tolerance
    assert not mod.verify(good, body, SECRET, now=now - 301)  # from the future
    assert not mod.verify(good, body, generate_secret(), now=now)  # wrong secret
    assert not mod.verify({**good, "webhook-id": ""}, body, SECRET, now=now)
    rotated = signature_headers("msg_1", now, body, [generate_secret(), SECRET])
    assert mod.verify(rotated, body, SECRET, now=now)


def test_docs_receiver_serves_our_deliveries_and_dedupes():
    mod = load_docs_receiver()
    server = HTTPServer(("127.0.0.1", 0), mod.Handler)
    server.secret, server.seen, events = SECRET, set(), []
    server.handle_event = events.append
    mod.Handler.log_message = lambda *a: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    async def main():
        results = []
        for _ in range(2):  # the same notification twice, with separate logs
            async with Deliverer(dest(url), MemoryDeliveryLog()) as d:
                results.append(await d.deliver(alert()))
        wrong = dest(url, secrets=[generate_secret()])
        async with Deliverer(wrong, MemoryDeliveryLog()) as d:
            results.append(await d.deliver(alert(alert_id="zz")))
        return results

    try:
        ok1, ok2, bad = asyncio.run(main())
    finally:
        server.shutdown()
        server.server_close()
    assert ok1.ok and ok2.ok and ok1.status == 204 and len(events) == 1
    assert events[0]["type"] == "alert.firing" and events[0]["data"]["entity"] == "churn"
    assert bad.status == 401 and bad.dead_lettered and bad.attempts == 1


# -- SSRF at send time and secrets ---------------------------------------------------------


class FixedResolver:
    def __init__(self, ip):
        self.ip = ip

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [
            {
                "hostname": host,
                "host": self.ip,
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self):
        pass


def test_name_resolving_to_loopback_is_refused_before_connecting(caplog):
    async def main(policy):
        async with Receiver() as rx:
            log = MemoryDeliveryLog()
            d = dest(f"http://hooks.example.com:{rx.port}/hook", policy=policy)
            async with Deliverer(d, log, resolver=FixedResolver("127.0.0.1")) as deliverer:
                return rx, log, await deliverer.deliver(alert())

    with caplog.at_level(logging.WARNING, "tripwire.webhooks"):
        rx, log, res = asyncio.run(main(EgressPolicy(allow_http=True)))
    assert rx.requests == [] and res.dead_lettered and res.attempts == 1
    assert log.rows[0]["error"] == "unsafe destination (rule loopback)"
    assert "rule loopback" in caplog.text
    pinned = EgressPolicy(allow_http=True, allow_hosts=("127.0.0.0/8",))
    rx, _, res = asyncio.run(main(pinned))  # the connection goes to the checked address
    assert res.ok and len(rx.requests) == 1


def test_secrets_never_reach_logs_rows_or_errors(caplog):
    token, path_secret = "QUERYTOKEN123456", "PATHSECRET987654"
    routing = "ROUTINGKEY" + "x" * 22

    async def main():
        async with Receiver([500, (404, {})]) as rx:
            log = MemoryDeliveryLog()
            dests = [
                dest(rx.url(f"/h/{path_secret}?token={token}"), (0.01,)),
                dest(f"http://127.0.0.1:{free_port()}/h/{path_secret}?token={token}", (0.01,)),
                dest(rx.url(f"/v2/{path_secret}"), (0.01,), kind="pagerduty", routing_key=routing),
            ]
            results = []
            for d in dests:
                async with Deliverer(d, log) as deliverer:
                    results.append(await deliverer.deliver(alert()))
            return log, results, dests

    with caplog.at_level(logging.DEBUG):
        log, results, dests = asyncio.run(main())
    dumped = (
        caplog.text
        + repr(log.rows)
        + repr(results)
        + repr(dests)
        + json.dumps([{k: v for k, v in e.items() if k != "records"} for e in log.dead_letters])
    )
    for secret in (token, path_secret, routing, SECRET, SECRET.removeprefix("whsec_")):
        assert secret not in dumped
    assert len(log.rows) >= 5 and "HTTP 500" in dumped and "webhook" in caplog.text


# -- PagerDuty contract (T17) --------------------------------------------------------------


def test_pagerduty_events_contract():
    async def main():
        script = [(429, {"Retry-After": "0"}), 500, 202, 202, 400]
        async with Receiver(script) as rx:
            log = MemoryDeliveryLog()
            async with Deliverer(dest(rx.url("/v2/enqueue"), (0.01, 0.01), "pagerduty"), log) as d:
                fire = await d.deliver(alert())
                resolve = await d.deliver(alert("resolved", ts=1_700_001_200.0))
                bad = await d.deliver(alert(alert_id="broken"))
                restart = await d.deliver(alert())  # redelivery after a restart
            return rx, fire, resolve, bad, restart

    rx, fire, resolve, bad, restart = asyncio.run(main())
    assert fire.ok and fire.attempts == 3 and resolve.ok and resolve.attempts == 1
    assert bad.dead_lettered and bad.attempts == 1 and bad.status == 400
    assert restart.skipped and len(rx.requests) == 5
    bodies = [json.loads(r["body"]) for r in rx.requests]
    assert [b["event_action"] for b in bodies] == ["trigger"] * 3 + ["resolve", "trigger"]
    assert bodies[0]["dedup_key"] == bodies[3]["dedup_key"] == "tripwire/alert/a1"


def test_send_test_reports_status_and_latency():
    async def main():
        async with Receiver([200, 503]) as rx:
            ok = await send_test(dest(rx.url()))
            failed = await send_test(dest(rx.url()))
            return rx, ok, failed

    rx, ok, failed = asyncio.run(main())
    assert ok["ok"] and ok["status"] == 200 and ok["latency_ms"] > 0 and ok["error"] == ""
    assert not failed["ok"] and failed["status"] == 503 and len(rx.requests) == 2
    assert verify(rx.requests[0]["headers"], rx.requests[0]["body"], SECRET)


# -- the consumer loop with a fake consumer ------------------------------------------------


class Msg(NamedTuple):
    topic: str
    partition: int
    offset: int
    value: bytes


class FakeConsumer:
    """Enough of AIOKafkaConsumer for run_delivery: one partition per topic."""

    def __init__(self, messages, start=0):
        self.messages, self.pos, self.commits = list(messages), start, []
        self._paused: set = set()

    def subscribe(self, topics, listener=None):
        self.topics = topics

    async def start(self):
        pass

    async def stop(self):
        pass

    def assignment(self):
        return {TopicPartition(t, 0) for t in self.topics}

    def pause(self, *tps):
        self._paused |= set(tps)

    def resume(self, *tps):
        self._paused -= set(tps)

    def paused(self):
        return set(self._paused)

    async def getmany(self, timeout_ms=0, max_records=None):
        await asyncio.sleep(0.01)
        if self._paused or self.pos >= len(self.messages):
            return {}
        m = self.messages[self.pos]
        self.pos += 1
        return {TopicPartition(m.topic, m.partition): [m]}

    async def commit(self, offsets):
        self.commits.append({(tp.topic, tp.partition): o for tp, o in offsets.items()})

    def committed(self, topic):
        return max((c[(topic, 0)] for c in self.commits if (topic, 0) in c), default=0)


def kafka_messages():
    trig = {
        "trigger_id": "t1",
        "type": "retrain",
        "entity_type": "model",
        "entity": "churn",
        "ts": 1_700_000_700.0,
        "reason": ["accuracy=0.7<0.85"],
    }
    return [
        Msg("tripwire.alerts", 0, 0, json.dumps(alert()).encode()),
        Msg("tripwire.alerts", 0, 1, json.dumps(alert(entity="other")).encode()),
        Msg("tripwire.alerts", 0, 2, b"{not json"),
        Msg("tripwire.triggers", 0, 0, json.dumps(trig).encode()),
    ]


def start(consumer, dests, routes, log):
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_delivery(
            "unused:9092",
            dests,
            routes,
            log,
            stop_event=stop,
            consumer=consumer,
            poll_timeout_ms=10,
        )
    )
    return stop, task


async def wait_until(done, limit=10.0):
    t0 = time.monotonic()
    while not done():
        assert time.monotonic() - t0 < limit, "condition not reached"
        await asyncio.sleep(0.02)


def test_consumer_commits_only_after_delivery_or_dead_letter():
    async def main():
        async with Receiver(fail={'"alert_id":"a1"': 2}) as rx:
            log, consumer = MemoryDeliveryLog(), FakeConsumer(kafka_messages())
            routes = [Route(to=("recv",), match={"entity": ("churn",)})]
            d = dest(rx.url(), (0.4, 0.4))
            stop, task = start(consumer, [d], routes, log)
            await wait_until(
                lambda: consumer.pos == 4 and consumer.committed("tripwire.triggers") == 1
            )
            mid = (consumer.committed("tripwire.alerts"), consumer.committed("tripwire.triggers"))
            await wait_until(lambda: consumer.committed("tripwire.alerts") == 3)
            stop.set()
            await task
            return rx, log, consumer, mid

    rx, log, consumer, mid = asyncio.run(main())
    assert mid == (0, 1)  # alert 0 still retrying: nothing committed past it; trigger done
    assert consumer.committed("tripwire.alerts") == 3
    assert Counter(rx.processed.values()) == Counter({1: 2})  # alert a1 + trigger t1
    assert sum(r["ok"] for r in log.rows) == 2


def test_consumer_killed_mid_retry_restarts_without_second_success():
    async def main():
        async with Receiver([500, 500]) as rx:
            log, routes = MemoryDeliveryLog(), [Route(to=("recv",))]
            first = FakeConsumer(kafka_messages()[:1])
            d = dest(rx.url(), (0.05, 5.0))
            stop, task = start(first, [d], routes, log)
            await wait_until(lambda: len(rx.requests) >= 2)
            task.cancel()  # killed while waiting 5 s before attempt 3
            await asyncio.gather(task, return_exceptions=True)
            assert first.committed("tripwire.alerts") == 0
            for _ in range(2):  # restart twice from the committed offset
                again = FakeConsumer(kafka_messages()[:1])
                stop, task = start(again, [dest(rx.url(), (0.05, 5.0))], routes, log)
                await wait_until(lambda c=again: c.committed("tripwire.alerts") == 1)
                stop.set()
                await task
            return rx, log

    rx, log = asyncio.run(main())
    assert len(set(rx.ids())) == 1 and list(rx.processed.values()) == [1]
    assert len(rx.requests) == 3 and sum(r["ok"] for r in log.rows) == 1


def test_pipeline_groups_one_entity_within_group_wait():
    async def main():
        wall = [1000.0]
        async with Receiver() as rx:
            log = MemoryDeliveryLog()
            d = dest(rx.url(), group_wait_s=30.0)
            pipe = DeliveryPipeline([d], [Route(to=("recv",))], log, wall=lambda: wall[0])
            for i in range(3):
                rec = alert(alert_id=f"a{i}", ts=1_700_000_600.0 + i)
                pipe.handle("tripwire.alerts", 0, i, json.dumps(rec).encode())
            assert pipe.tick() == 0 and pipe.tracker.committable() == {("tripwire.alerts", 0): 0}
            wall[0] += 27.0  # event clock: last ts (600 + 2) + 27 s < first ts + group_wait
            assert pipe.tick() == 0
            wall[0] += 1.0
            assert pipe.tick() == 1
            await pipe.drain(5)
            committable = pipe.tracker.committable()
            await pipe.close()
            return rx, committable

    rx, committable = asyncio.run(main())
    assert len(rx.requests) == 1 and committable == {("tripwire.alerts", 0): 3}
    doc = json.loads(rx.requests[0]["body"])
    assert doc["type"] == "alert.firing" and doc["data"]["count"] == 3


def test_notification_objects_deliver_directly():
    async def main():
        async with Receiver() as rx:
            n = Notification("alert", "model", "churn", (alert(), alert(alert_id="b")))
            async with Deliverer(dest(rx.url()), MemoryDeliveryLog()) as d:
                return rx, n, await d.deliver(n)

    rx, n, res = asyncio.run(main())
    assert res.ok and rx.ids() == [n.webhook_id]


def test_default_schedule_on_a_fake_clock():
    """Receiver down for good: waits follow [1, 5, 30, 120, 600] s with 20 % jitter."""
    waits: list[float] = []

    async def fake_sleep(seconds):
        waits.append(seconds)

    async def main():
        d = Destination(
            "down",
            "slack",
            f"http://127.0.0.1:{free_port()}/",
            policy=LOOPBACK,
            retry=RetryPolicy(jitter=0.2),
        )
        log = MemoryDeliveryLog()
        async with Deliverer(d, log, sleep=fake_sleep) as deliverer:
            return log, await deliverer.deliver(alert())

    log, res = asyncio.run(main())
    assert res.dead_lettered and res.attempts == 6 and len(log.rows) == 6
    for wait, base in zip(waits, (1, 5, 30, 120, 600), strict=True):
        assert 0.8 * base <= wait <= base


def test_consumer_pauses_when_too_much_is_in_flight():
    class Counting(FakeConsumer):
        pauses = 0

        def pause(self, *tps):
            self.pauses += 1
            super().pause(*tps)

    async def main():
        async with Receiver(delay=0.2) as rx:
            msgs = [
                Msg(
                    "tripwire.alerts",
                    0,
                    i,
                    json.dumps(alert(alert_id=f"x{i}", entity=f"e{i}")).encode(),
                )
                for i in range(4)
            ]
            consumer, stop = Counting(msgs), asyncio.Event()
            task = asyncio.create_task(
                run_delivery(
                    "unused:9092",
                    [dest(rx.url())],
                    [Route(to=("recv",))],
                    MemoryDeliveryLog(),
                    stop_event=stop,
                    consumer=consumer,
                    poll_timeout_ms=10,
                    max_pending=1,
                )
            )
            await wait_until(lambda: consumer.committed("tripwire.alerts") == 4)
            stop.set()
            await task
            return rx, consumer

    rx, consumer = asyncio.run(main())
    assert consumer.pauses >= 1 and len(rx.requests) == 4 and not consumer.paused()


def test_unrenderable_notification_is_dead_lettered_not_raised():
    async def main():
        log = MemoryDeliveryLog()
        group = Notification("alert", "model", "churn", (alert(), alert(alert_id="b")))
        d = dest("http://127.0.0.1:9/", kind="pagerduty")
        async with Deliverer(d, log) as deliverer:
            return log, await deliverer.deliver(group)

    log, res = asyncio.run(main())
    assert res.dead_lettered and res.attempts == 0 and log.rows == []
    assert "one alert per event" in log.dead_letters[0]["error"]
