"""SSRF guard for user-configured webhook URLs.

Two layers: `check_url` refuses a URL by its text before anything is sent (scheme,
userinfo, numeric host encodings, internal names, forbidden IP literals), and
`GuardedResolver` re-checks every address a host name resolves to at connection time, so
the socket only ever opens to an address that passed (defeats DNS rebinding).

`allow_private` opens loopback, RFC 1918, CGNAT, link-local, IPv6 ULA and other
non-global ranges plus internal names (``localhost``, ``*.internal``...). Cloud metadata
addresses and names, 0.0.0.0/::, multicast and reserved ranges stay refused unless an
entry of `allow_hosts` (host name or CIDR) names them.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from ._errors import UnsafeDestinationError

__all__ = ["EgressPolicy", "GuardedResolver", "check_ip", "check_url", "forbidden_rule"]

log = logging.getLogger("tripwire.webhooks")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA_IPS = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
INTERNAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
INTERNAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".internal",
    ".localdomain",
    ".home.arpa",
    ".lan",
    ".intranet",
    ".svc",
    ".corp",
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
OPENED_BY_ALLOW_PRIVATE = frozenset(
    {"loopback", "private", "cgnat", "link-local", "non-global", "internal-name"}
)
_HOST_OK = re.compile(r"^[a-z0-9.\-_\[\]:]+$")


@dataclass(frozen=True)
class EgressPolicy:
    """What a destination may reach beyond public https hosts."""

    allow_http: bool = False
    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()

    def allows_name(self, host: str) -> bool:
        """True if `host` (lower case, no trailing dot) is allowlisted by name."""
        return host in {h.lower().rstrip(".") for h in self.allow_hosts if "/" not in h}

    def allows_ip(self, ip: IPAddress) -> bool:
        """True if `ip` lies in an allowlisted CIDR or equals an allowlisted IP literal."""
        for entry in self.allow_hosts:
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
        return False

    def opens(self, rule: str) -> bool:
        """True if `rule` is lifted by ``allow_private``."""
        return self.allow_private and rule in OPENED_BY_ALLOW_PRIVATE


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden_rule(ip: IPAddress) -> str | None:
    """Return the name of the rule that forbids `ip`, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and (v4 := _embedded_v4(ip)) is not None:
        return forbidden_rule(v4)
    checks = (
        ("metadata", ip in METADATA_IPS),
        ("unspecified", ip.is_unspecified or ip in THIS_NETWORK),
        ("multicast", ip.is_multicast),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("cgnat", ip in CGNAT),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-global", not ip.is_global),
    )
    return next((rule for rule, hit in checks if hit), None)


def check_ip(ip: str | IPAddress, policy: EgressPolicy, host: str = "") -> None:
    """Raise UnsafeDestinationError unless `ip` may be connected to under `policy`."""
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    rule = forbidden_rule(addr)
    if rule is None or policy.opens(rule) or policy.allows_ip(addr):
        return
    where = f"{host} resolves to {addr}" if host and host != str(addr) else f"address {addr}"
    raise UnsafeDestinationError(
        f"refused: {where} is {rule}; set allow_private: true or list it in allow_hosts "
        "if this destination is really trusted",
        rule,
    )


def _refuse(rule: str, why: str) -> UnsafeDestinationError:
    return UnsafeDestinationError(f"refused webhook URL ({rule}): {why}", rule)


def _split(url: str, policy: EgressPolicy) -> tuple[str, str, int]:
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 for c in url) or "\\" in url:
        raise _refuse("syntax", "URL is empty or contains whitespace, control chars or '\\'")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or (scheme == "http" and not policy.allow_http):
        raise _refuse("scheme", "only https:// is allowed (http:// needs allow_http: true)")
    if "@" in parts.netloc:
        raise _refuse("userinfo", "credentials or '@' in the host part are not allowed")
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise _refuse("port", "port is not a number in 1..65535") from None
    if not host or not _HOST_OK.match(host):
        raise _refuse("host", "host is missing or has characters other than a-z 0-9 . - _")
    return scheme, host, port


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_legacy_ipv4(host: str) -> bool:
    """True for decimal/octal/hex/short IPv4 spellings (2130706433, 0177.0.0.1, 127.1)."""
    try:
        socket.inet_aton(host)
    except OSError:
        return host.rsplit(".", 1)[-1].isdigit()  # an all-numeric TLD is no host name
    return True


def check_url(url: str, policy: EgressPolicy = EgressPolicy()) -> tuple[str, int]:
    """Return ``(host, port)`` of `url` or raise UnsafeDestinationError naming the rule."""
    _, host, port = _split(url, policy)
    if policy.allows_name(host):
        return host, port
    literal = _ip_literal(host)
    if literal is not None:
        check_ip(literal, policy, host)
        return host, port
    if _is_legacy_ipv4(host):
        raise _refuse("ip-encoding", "write IPv4 addresses as a.b.c.d (no decimal/octal/hex)")
    if host in METADATA_NAMES:
        raise _refuse("metadata", f"{host} is a cloud metadata name")
    if (host in INTERNAL_NAMES or host.endswith(INTERNAL_SUFFIXES)) and not policy.opens(
        "internal-name"
    ):
        raise _refuse("internal-name", f"{host} is an internal name; set allow_private: true")
    return host, port


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses a host if any address it resolves to is forbidden."""

    def __init__(self, policy: EgressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve with the inner resolver, then check every address."""
        if self._inner is None:
            self._inner = ThreadedResolver()
        results = await self._inner.resolve(host, port, family)
        name = host.lower().rstrip(".")
        if not self._policy.allows_name(name):
            for res in results:
                try:
                    check_ip(res["host"], self._policy, name)
                except UnsafeDestinationError as exc:
                    log.warning("webhook connection refused (rule %s): %s", exc.rule, exc)
                    raise
        return results

    async def close(self) -> None:
        """Close the inner resolver."""
        if self._inner is not None:
            await self._inner.close()
