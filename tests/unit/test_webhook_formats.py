"""Message shapes (generic, Slack, PagerDuty v2), config validation and routing."""

from __future__ import annotations

import json
import math
import pathlib
import re

import pytest
import yaml

from sinks.webhooks import (
    Destination,
    Notification,
    WebhookConfigError,
    dedup_key,
    from_config,
    generate_secret,
    render,
    route,
    webhook_id_for,
)

SECRET = generate_secret()
DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def alert(state="firing", alert_id="a1", ts=1_700_000_600.0, **kw):
    rec = {
        "kind": "alert",
        "alert_id": alert_id,
        "entity_type": "model",
        "entity": "churn",
        "metric": "drift.wasserstein",
        "dimension": "age",
        "state": state,
        "severity": "critical",
        "ts": ts,
        "value": 0.31,
        "threshold": 0.1,
        "window_start": ts - 600,
        "window_end": ts,
        "evidence": {},
    }
    return {**rec, **kw}


def trigger(**kw):
    rec = {
        "kind": "trigger",
        "trigger_id": "t1",
        "type": "retrain",
        "entity_type": "model",
        "entity": "churn",
        "ts": 1_700_000_600.0,
        "reason": ["accuracy=0.71<0.85"],
        "evidence": {"suggested_reference": {"window_start": 1, "window_end": 2}},
    }
    return {**rec, **kw}


def dest(kind="generic", **kw):
    extra = {"generic": {"secrets": [SECRET]}, "pagerduty": {"routing_key": "R" * 32}, "slack": {}}[
        kind
    ]
    return Destination("d", kind, "https://hooks.example.com/x", **{**extra, **kw})


def body(kind, n, **kw):
    return json.loads(render(dest(kind, **kw), n))


# -- webhook ids -------------------------------------------------------------------------


def test_webhook_id_is_deterministic():
    a = alert()
    assert webhook_id_for((a,)) == webhook_id_for((dict(a),)) == Notification.single(a).webhook_id
    assert webhook_id_for((a,)) != webhook_id_for((alert(state="resolved"),))
    assert webhook_id_for((a,)) != webhook_id_for((alert(ts=a["ts"] + 1),))
    assert webhook_id_for((a,)) != webhook_id_for((a,), repeat_at=5.0)
    assert webhook_id_for((trigger(),)) == webhook_id_for((trigger(ts=9.0),))
    group = (alert(), alert(alert_id="a2"))
    assert webhook_id_for(group) == webhook_id_for(group[::-1])
    assert re.fullmatch(r"msg_[0-9a-f]{32}", webhook_id_for(group))


# -- generic ------------------------------------------------------------------------------


def test_generic_body_shape_and_stability():
    n = Notification.single(alert(value=math.nan))
    raw = render(dest(), n)
    assert raw == render(dest(), n)  # retries carry byte-identical bodies
    doc = json.loads(raw)
    assert doc["type"] == "alert.firing" and doc["timestamp"] == "2023-11-14T22:23:20Z"
    assert doc["data"]["records"][0]["value"] is None  # NaN becomes null: strict JSON
    assert doc["data"]["entity"] == "churn" and doc["data"]["count"] == 1


def test_generic_types():
    assert body("generic", Notification.single(trigger()))["type"] == "trigger.retrain"
    mixed = Notification("alert", "model", "churn", (alert(), alert("resolved", "a2")))
    assert body("generic", mixed)["type"] == "alert.group"
    assert body("generic", Notification.single(alert("resolved")))["type"] == "alert.resolved"


# -- Slack --------------------------------------------------------------------------------


def test_slack_shape():
    doc = body("slack", Notification.single(alert(dimension="<b>&")))
    assert set(doc) == {"text", "blocks"}
    assert doc["text"].startswith("FIRING model:churn drift.wasserstein[&lt;b&gt;&amp;]=0.31")
    assert [b["type"] for b in doc["blocks"]] == ["header", "section", "context"]
    assert doc["blocks"][1]["text"]["type"] == "mrkdwn"


def test_slack_group_is_truncated():
    records = tuple(alert(alert_id=f"a{i}") for i in range(25))
    doc = body("slack", Notification("alert", "model", "churn", records, suppressed=3))
    section = doc["blocks"][1]["text"]["text"]
    assert section.count("•") == 20 and "…and 5 more" in section and "3 state changes" in section
    assert "(25)" in doc["text"]


# -- PagerDuty ----------------------------------------------------------------------------


def test_pagerduty_trigger_and_resolve_share_dedup_key():
    fire = body("pagerduty", Notification.single(alert()))
    res = body("pagerduty", Notification.single(alert("resolved", ts=1_700_009_999.0)))
    assert fire["dedup_key"] == res["dedup_key"] == "tripwire/alert/a1"
    assert fire["routing_key"] == "R" * 32 and fire["event_action"] == "trigger"
    p = fire["payload"]
    assert set(p) >= {"summary", "source", "severity", "custom_details", "timestamp"}
    assert p["severity"] == "critical" and p["source"] == "model/churn"
    assert p["custom_details"]["alert_id"] == "a1"
    assert res == {
        "routing_key": "R" * 32,
        "event_action": "resolve",
        "client": "Tripwire",
        "dedup_key": "tripwire/alert/a1",
    }


def test_pagerduty_limits_and_mapping():
    long = body(
        "pagerduty",
        Notification.single(alert(alert_id="x" * 400, severity="odd", metric="m" * 2000)),
    )
    assert len(long["dedup_key"]) <= 255 and len(long["payload"]["summary"]) <= 1024
    assert long["payload"]["severity"] == "warning"
    trig = body("pagerduty", Notification.single(trigger()))
    assert trig["payload"]["severity"] == "info" and trig["dedup_key"] == dedup_key(trigger())
    with pytest.raises(ValueError, match="one alert per event"):
        render(dest("pagerduty"), Notification("alert", "model", "churn", (alert(), alert())))


# -- config -------------------------------------------------------------------------------


def docs_config():
    text = DOCS.read_text()
    return yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))


ENV = {"TRIPWIRE_WEBHOOK_SECRET": SECRET, "TRIPWIRE_PAGERDUTY_KEY": "K" * 32}


def test_docs_example_config_loads():
    dests, routes = from_config(docs_config(), env=ENV)
    assert {d.type for d in dests.values()} == {"generic", "slack", "pagerduty"}
    assert all(isinstance(d, Destination) for d in dests.values()) and routes
    for d in dests.values():
        assert SECRET not in repr(d) and "K" * 32 not in repr(d)


def test_routing_by_kind_entity_metric_severity_type():
    cfg = {
        "destinations": {
            "hook": {"type": "generic", "url": "https://a.example.com/", "secret": SECRET},
            "chat": {"type": "slack", "url": "https://hooks.slack.com/services/x"},
            "pd": {"type": "pagerduty", "routing_key": "k" * 32},
        },
        "routes": [
            {"match": {"kind": "trigger", "type": "retrain"}, "to": ["hook"]},
            {"match": {"kind": "alert", "metric": ["drift.*", "accuracy"]}, "to": "chat"},
            {"match": {"severity": "critical", "entity": "churn*"}, "to": ["pd", "chat"]},
        ],
    }
    _, routes = from_config(cfg, env={})
    assert route(trigger(), routes) == ["hook"]
    assert route(trigger(type="prompt_rollback"), routes) == []
    assert route(alert(), routes) == ["chat", "pd"]
    assert route(alert(severity="warning"), routes) == ["chat"]
    assert route(alert(metric="cost.total", entity="other"), routes) == []


def test_no_routes_means_everything_everywhere():
    cfg = {"destinations": {"chat": {"type": "slack", "url": "https://hooks.slack.com/s/x"}}}
    _, routes = from_config({"webhooks": cfg}, env={})
    assert route(alert(), routes) == ["chat"] and route(trigger(), routes) == ["chat"]


def test_defaults_apply_and_types():
    cfg = {
        "defaults": {"retry_schedule_s": [0.1, 0.2], "group_wait_s": 30, "cooldown_s": 600},
        "destinations": {
            "hook": {"type": "generic", "url": "https://a.example.com/", "secret": SECRET},
            "pd": {"type": "pagerduty", "routing_key": "k" * 32, "group_wait_s": 0},
        },
    }
    dests, _ = from_config(cfg, env={})
    assert dests["hook"].retry.schedule_s == (0.1, 0.2) and dests["hook"].group_wait_s == 30
    assert dests["pd"].url.reveal() == "https://events.pagerduty.com/v2/enqueue"
    assert dests["pd"].repeat_interval_s == 0 and dests["hook"].repeat_interval_s == 14400


G = {"type": "generic", "url": "https://a.example.com/", "secret": SECRET}


@pytest.mark.parametrize(
    "cfg, key",
    [
        ({"destination": {}}, "webhooks.destination"),
        ({"destinations": {"h": {**G, "retries": 3}}}, "webhooks.destinations.h.retries"),
        ({"destinations": {"h": {**G, "type": "teams"}}}, "webhooks.destinations.h.type"),
        ({"destinations": {"h": {**G, "secret": None}}}, "webhooks.destinations.h.secret"),
        ({"destinations": {"h": {**G, "secret": "short"}}}, "webhooks.destinations.h.secret"),
        (
            {"destinations": {"h": {**G, "secret": None, "secret_env": "NOPE"}}},
            "webhooks.destinations.h.secret_env",
        ),
        (
            {"destinations": {"h": {**G, "url": "http://a.example.com/"}}},
            "webhooks.destinations.h.url",
        ),
        ({"destinations": {"h": {**G, "timeout_s": "10"}}}, "webhooks.destinations.h.timeout_s"),
        ({"destinations": {"h": {**G, "timeout_s": 90}}}, "webhooks.destinations.h"),
        (
            {"destinations": {"h": {**G, "retry_schedule_s": 5}}},
            "webhooks.destinations.h.retry_schedule_s",
        ),
        ({"destinations": {"h": {**G, "allow_http": "yes"}}}, "webhooks.destinations.h.allow_http"),
        ({"destinations": {"p": {"type": "pagerduty"}}}, "webhooks.destinations.p.routing_key"),
        (
            {"destinations": {"p": {"type": "pagerduty", "routing_key": "k", "group_wait_s": 5}}},
            "webhooks.destinations.p.group_wait_s",
        ),
        ({"destinations": {"h": G}, "routes": [{"to": ["nope"]}]}, "webhooks.routes[0].to"),
        (
            {"destinations": {"h": G}, "routes": [{"to": "h", "match": {"model": "x"}}]},
            "webhooks.routes[0].match.model",
        ),
        ({"destinations": {"h": G}, "routes": {"to": "h"}}, "webhooks.routes"),
        ({"destinations": {"bad name": G}}, "webhooks.destinations.bad name"),
    ],
)
def test_config_errors_name_the_key_and_the_fix(cfg, key):
    with pytest.raises(WebhookConfigError) as err:
        from_config(cfg, env={})
    msg = str(err.value)
    assert msg.startswith(key + ":") and "fix:" in msg
    assert SECRET not in msg


def test_secret_env_may_hold_two_secrets_for_rotation():
    new, old = generate_secret(), generate_secret()
    cfg = {
        "destinations": {
            "h": {"type": "generic", "url": "https://a.example.com/", "secret_env": "S"}
        }
    }
    dests, _ = from_config(cfg, env={"S": f"{new} {old}"})
    assert [s.reveal() for s in dests["h"].secrets] == [new, old]
