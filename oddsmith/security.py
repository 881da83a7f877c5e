"""Security rules without I/O: client addresses, origins, message rates, events.

The HTTP services and the relay are thin layers around these; only
:func:`record_event` touches the database.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import peewee as pw

from oddsmith import db

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def split_list(text: str) -> list[str]:
    """Split a comma separated setting, dropping blanks."""
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_networks(text: str) -> tuple[Network, ...]:
    """Read a list of addresses or networks such as ``127.0.0.1,10.0.0.0/8``."""
    return tuple(ipaddress.ip_network(part, strict=False) for part in split_list(text))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str, real_ip: str | None, trusted: Iterable[Network]) -> str:
    """Return the client's address: ``X-Real-IP`` when a trusted proxy sent it.

    Anyone else could write any address in that header, so from an untrusted
    peer the header is ignored and the peer itself is the client.
    """
    peer_address = _address(peer)
    if peer_address is None:
        return peer
    if real_ip and any(peer_address in network for network in trusted):
        claimed = _address(real_ip)
        if claimed is not None:
            return str(claimed)
    return str(peer_address)


def is_within(address: str, networks: Iterable[Network]) -> bool:
    """Tell whether ``address`` lies in one of ``networks``."""
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def normal_origin(origin: str) -> str | None:
    """Return ``scheme://host[:port]`` in lower case without a default port."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


@dataclass(frozen=True)
class OriginPolicy:
    """Which browser origins may open a WebSocket.

    Allowed: the platform's own origin, any origin equal to the address the
    request was sent to (same origin), and the configured extras. A request
    without an Origin header comes from a program, not from a page another
    site could have loaded, so it is allowed; ``Origin: null`` is refused.
    """

    allowed: frozenset[str]

    @classmethod
    def build(cls, host: str, port: int, extra: str = "") -> OriginPolicy:
        names = [host]
        if host in LOOPBACK_NAMES:
            # The same machine under its other name is still our origin.
            names = list(LOOPBACK_NAMES)
        own = [f"http://{name}:{port}" for name in names if name != "[::1]"]
        origins = {normal_origin(origin) for origin in [*own, *split_list(extra)]}
        return cls(frozenset(origin for origin in origins if origin is not None))

    def allows(self, origin: str | None, host_header: str | None) -> bool:
        if origin is None:
            return True
        normal = normal_origin(origin)
        if normal is None:
            return False
        if normal in self.allowed:
            return True
        if host_header:
            scheme = normal.partition("://")[0]
            return normal == normal_origin(f"{scheme}://{host_header.strip()}")
        return False


@dataclass
class TokenBucket:
    """Allow ``rate`` messages a second on average and ``burst`` at once."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    stamp: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self, now: float) -> bool:
        """Spend one token; return False when none is left."""
        if self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def record_event(
    action: str,
    *,
    actor: int | None = None,
    target: str = "",
    detail: str = "",
) -> None:
    """Write a security event to the audit log; a failure is logged, not raised.

    The request being refused must stay refused even when the database cannot
    take the audit line, so this never turns a 401 into a 503.
    """
    try:
        db.AuditLog.create(
            actor=actor, action=action[:40], target=target[:100], detail=detail[:2000]
        )
    except pw.PeeweeException as exc:
        log.warning("could not audit %s on %s: %s", action, target, exc)
