"""Find workers: zeroconf announcements as a hint, a static list as fallback.

Discovery only maps a worker's name to its address. Who owns an event is
decided by the lease table in the database, never by an announcement, so a
stale record can at worst route a request to a worker that answers
``not_owner``.
"""

from __future__ import annotations

import logging
import socket
import threading
from urllib.parse import urlparse

from zeroconf import (
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)

log = logging.getLogger(__name__)

SERVICE_TYPE = "_oddsmith-worker._tcp.local."


def parse_static(text: str) -> dict[str, str]:
    """Parse ``name=tcp://host:port,...`` into a mapping."""
    workers = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, endpoint = item.partition("=")
        if not sep or not endpoint.startswith("tcp://"):
            raise ValueError(
                f"static worker entry must be name=tcp://host:port, got {item!r}"
            )
        workers[name.strip()] = endpoint.strip()
    return workers


def _zeroconf(interfaces: str) -> Zeroconf:
    chosen = [part.strip() for part in interfaces.split(",") if part.strip()]
    return Zeroconf(interfaces=chosen or None, ip_version=IPVersion.V4Only)  # type: ignore[arg-type]


class Announcer:
    """Announce one worker's name and endpoint on the local network."""

    def __init__(self, name: str, endpoint: str, interfaces: str) -> None:
        url = urlparse(endpoint)
        host = url.hostname or "127.0.0.1"
        self._zc = _zeroconf(interfaces)
        self._info = ServiceInfo(
            SERVICE_TYPE,
            f"{name}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(socket.gethostbyname(host))],
            port=url.port,
            properties={"name": name, "endpoint": endpoint},
        )
        self._zc.register_service(self._info)

    def close(self) -> None:
        try:
            self._zc.unregister_service(self._info)
        finally:
            self._zc.close()


class Directory:
    """Map worker names to endpoints from zeroconf and a static list."""

    def __init__(
        self, static: dict[str, str], use_zeroconf: bool, interfaces: str
    ) -> None:
        self._static = dict(static)
        self._found: dict[str, str] = {}
        self._lock = threading.Lock()
        self._zc: Zeroconf | None = None
        if use_zeroconf:
            try:
                self._zc = _zeroconf(interfaces)
                self._browser = ServiceBrowser(
                    self._zc, SERVICE_TYPE, handlers=[self._on_change]
                )
            except OSError as exc:
                # Without multicast the static list and the database still work.
                log.warning(
                    "zeroconf unavailable (%s); using the static worker list", exc
                )
                self._zc = None

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        worker = name.removesuffix("." + SERVICE_TYPE)
        if state_change is ServiceStateChange.Removed:
            with self._lock:
                self._found.pop(worker, None)
            log.info("worker %s left", worker)
            return
        info = zeroconf.get_service_info(service_type, name, timeout=1000)
        if info is None:
            return
        endpoint = (info.properties or {}).get(b"endpoint")
        if endpoint:
            with self._lock:
                self._found[worker] = endpoint.decode()
            log.info("worker %s found at %s", worker, endpoint.decode())

    def endpoint(self, name: str) -> str | None:
        with self._lock:
            return self._found.get(name) or self._static.get(name)

    def known(self) -> dict[str, str]:
        with self._lock:
            return {**self._static, **self._found}

    def close(self) -> None:
        if self._zc is not None:
            self._zc.close()
