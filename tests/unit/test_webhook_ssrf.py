"""SSRF guard (T20): hostile URLs refused before any socket opens; DNS rebinding."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from sinks.webhooks import (
    EgressPolicy,
    GuardedResolver,
    UnsafeDestinationError,
    WebhookConfigError,
    check_url,
    from_config,
)

HOSTILE = [
    # loopback in every spelling
    ("https://127.0.0.1/", "loopback"),
    ("https://127.0.0.2:8443/x", "loopback"),
    ("https://localhost/", "internal-name"),
    ("https://LOCALHOST./", "internal-name"),
    ("https://api.localhost/", "internal-name"),
    ("https://[::1]/", "loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),
    ("https://[::ffff:7f00:1]/", "loopback"),
    ("https://[2002:7f00:1::]/", "loopback"),  # 6to4 wrapping 127.0.0.1
    ("https://0x7f000001/", "ip-encoding"),
    ("https://2130706433/", "ip-encoding"),
    ("https://0177.0.0.1/", "ip-encoding"),
    ("https://017700000001/", "ip-encoding"),
    ("https://127.1/", "ip-encoding"),
    ("https://0x7f.0.0.1/", "ip-encoding"),
    # private, CGNAT, link-local, metadata
    ("https://10.0.0.1/", "private"),
    ("https://10.255.255.255/", "private"),
    ("https://172.16.0.1/", "private"),
    ("https://172.31.255.254/", "private"),
    ("https://192.168.1.1/", "private"),
    ("https://100.64.0.1/", "cgnat"),
    ("https://100.127.255.254/", "cgnat"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://169.254.1.1/", "link-local"),
    ("https://[::ffff:169.254.169.254]/", "metadata"),
    ("https://[64:ff9b::a9fe:a9fe]/", "metadata"),  # NAT64 wrapping 169.254.169.254
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://[::ffff:10.0.0.1]/", "private"),
    ("https://[fe80::1]/", "link-local"),
    ("https://[fc00::1]/", "private"),
    ("https://[fd12:3456::1]/", "private"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("https://metadata/", "metadata"),
    ("https://instance-data/", "metadata"),
    ("https://kubernetes.default.svc/", "internal-name"),
    ("https://db.internal/", "internal-name"),
    ("https://printer.local/", "internal-name"),
    # unspecified, multicast, broadcast, reserved, special-purpose
    ("https://0.0.0.0/", "unspecified"),
    ("https://0/", "ip-encoding"),
    ("https://0.1.2.3/", "unspecified"),
    ("https://[::]/", "unspecified"),
    ("https://224.0.0.1/", "multicast"),
    ("https://[ff02::1]/", "multicast"),
    ("https://255.255.255.255/", "reserved"),
    ("https://240.0.0.1/", "reserved"),
    ("https://192.0.2.1/", "private"),
    ("https://198.18.0.1/", "private"),
    # schemes
    ("http://example.com/", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://127.0.0.1:6379/_INFO", "scheme"),
    ("ftp://example.com/", "scheme"),
    ("dict://127.0.0.1:11211/", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("//example.com/hook", "scheme"),
    # userinfo and parser tricks
    ("https://good.example.com@127.0.0.1/", "userinfo"),
    ("https://user:pass@example.com/", "userinfo"),
    ("https://example.com\\@127.0.0.1/", "syntax"),
    ("https://example.com%40127.0.0.1/", "host"),
    ("https://[fe80::1%25eth0]/", "host"),
    (" https://example.com/", "syntax"),
    ("https://exa mple.com/", "syntax"),
    ("https://example.com:99999/", "port"),
    ("https:///path", "host"),
    ("https://bücher.example/", "host"),
]


@pytest.mark.parametrize("url, rule", HOSTILE, ids=[u for u, _ in HOSTILE])
def test_hostile_url_refused_by_default(url, rule):
    with pytest.raises(UnsafeDestinationError) as err:
        check_url(url)
    assert err.value.rule == rule


def test_table_is_large_enough():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "https://hooks.slack.com/services/T0/B0/XXXX",
        "https://events.pagerduty.com/v2/enqueue",
        "https://8.8.8.8/",
        "https://[2606:4700::1111]/",
        "https://example.com:8443/a?b=c",
    ],
)
def test_public_https_allowed(url):
    check_url(url)


def test_explicit_allowances():
    check_url("http://example.com/", EgressPolicy(allow_http=True))
    private = EgressPolicy(allow_http=True, allow_private=True)
    for url in (
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "https://10.1.2.3/",
        "https://[::1]/",
        "https://100.64.0.1/",
        "https://svc.internal/",
    ):
        check_url(url, private)
    for url in (
        "https://169.254.169.254/",
        "https://metadata.google.internal/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://2130706433/",
        "https://240.0.0.1/",
        "https://255.255.255.255/",
        "https://0.1.2.3/",
    ):
        with pytest.raises(UnsafeDestinationError):
            check_url(url, private)  # never opened by allow_private
    check_url("https://127.0.0.1/", EgressPolicy(allow_hosts=("127.0.0.1",)))
    check_url("https://10.9.9.9/", EgressPolicy(allow_hosts=("10.9.0.0/16",)))
    check_url("https://169.254.169.254/", EgressPolicy(allow_hosts=("169.254.169.254/32",)))
    check_url("https://hook.corp/", EgressPolicy(allow_hosts=("hook.corp",)))
    with pytest.raises(UnsafeDestinationError):
        check_url("https://10.8.0.1/", EgressPolicy(allow_hosts=("10.9.0.0/16",)))
    with pytest.raises(UnsafeDestinationError, match="userinfo"):
        check_url("http://good@127.0.0.1/", private)


def test_config_refuses_hostile_url_naming_the_key():
    cfg = {"destinations": {"x": {"type": "slack", "url": "https://169.254.169.254/"}}}
    with pytest.raises(WebhookConfigError, match=r"webhooks\.destinations\.x\.url"):
        from_config(cfg)


class FlipResolver:
    """Answers a public address first, then loopback (DNS rebinding)."""

    def __init__(self, answers):
        self.answers, self.calls = list(answers), 0

    async def resolve(self, host, port=0, family=socket.AF_INET):
        ip = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
        return [{"hostname": host, "host": ip, "port": port, "family": fam, "proto": 0, "flags": 0}]

    async def close(self):
        pass


def test_dns_rebinding_refused_on_second_lookup(caplog):
    guard = GuardedResolver(EgressPolicy(), FlipResolver(["93.184.216.34", "127.0.0.1"]))

    async def main():
        first = await guard.resolve("hooks.example.com", 443)
        assert first[0]["host"] == "93.184.216.34"
        with pytest.raises(UnsafeDestinationError) as err:
            await guard.resolve("hooks.example.com", 443)
        return err.value

    with caplog.at_level(logging.WARNING, "tripwire.webhooks"):
        err = asyncio.run(main())
    assert err.rule == "loopback"
    assert "rule loopback" in caplog.text  # blocked attempt logged with the rule


@pytest.mark.parametrize(
    "answers", [["10.0.0.5"], ["::ffff:169.254.169.254"], ["fd00::1"], ["100.64.1.1"], ["0.0.0.0"]]
)
def test_any_forbidden_answer_refuses_the_host(answers):
    guard = GuardedResolver(EgressPolicy(), FlipResolver(answers))
    with pytest.raises(UnsafeDestinationError):
        asyncio.run(guard.resolve("hooks.example.com", 443))
