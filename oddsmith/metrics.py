"""Prometheus metrics of every process, and the small HTTP server that shows them.

Workers, the broker and relays serve ``/metrics``, ``/health`` (the process
runs) and ``/ready`` (it can do its job) on an operations port of their own.
The gunicorn APIs serve the same paths on their internal port, in
prometheus-client's multiprocess mode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

log = logging.getLogger(__name__)

BETS = Counter(
    "oddsmith_bets_total",
    "Bets handled by workers, by result (accepted or the refusal code)",
    ["result"],
)
BET_SECONDS = Histogram(
    "oddsmith_bet_seconds",
    "Time a worker spends on one bet, from receipt to reply",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
OWNED_EVENTS = Gauge("oddsmith_owned_events", "Events whose lease this worker holds")
ROUTED = Counter(
    "oddsmith_broker_requests_total",
    "Requests the broker handled, by outcome",
    ["outcome"],
)
WEBSOCKET_CLIENTS = Gauge(
    "oddsmith_websocket_clients", "WebSocket clients connected to this relay"
)
UPDATES_RELAYED = Counter(
    "oddsmith_updates_relayed_total", "Updates relayed to clients"
)
HTTP_SECONDS = Histogram(
    "oddsmith_http_request_seconds",
    "HTTP request latency in the API processes",
    ["method", "route", "status"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # Scrapes every few seconds would drown the process's own log.
        pass


def ops_app(ready: Callable[[], bool]) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app()

    def app(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/health":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        if path == "/ready":
            ok = False
            try:
                ok = ready()
            except Exception as exc:
                log.debug("readiness check failed: %s", exc)
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json")],
            )
            return [b'{"ready": true}' if ok else b'{"ready": false}']
        if path == "/metrics":
            return metrics(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return app


def serve_ops(host: str, port: int, ready: Callable[[], bool]) -> WSGIServer | None:
    """Serve health, readiness and metrics on ``port`` in a daemon thread."""
    if port <= 0:
        return None
    server = make_server(host, port, ops_app(ready), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="ops", daemon=True).start()
    log.info("operations endpoints on http://%s:%s/{health,ready,metrics}", host, port)
    return server
