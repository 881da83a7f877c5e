"""Route each request to the worker that owns its resource, and fan out updates.

Requests arrive on a ROUTER socket from API processes. The owner of a resource
is read from the lease table (cached until a worker answers ``not_owner``), its
address from the worker directory (zeroconf or the static list, the database as
last resort). A request with no reachable owner waits, retried every 100 ms,
until its deadline, then gets ``unavailable``. Updates published by workers on
the XSUB side go out unchanged on the XPUB side to every relay.
"""

from __future__ import annotations

import itertools
import logging
import signal
import time
from dataclasses import dataclass
from typing import Any

import peewee as pw
import zmq

from oddsmith import db, metrics, protocol
from oddsmith.config import Settings
from oddsmith.discovery import Directory, parse_static

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.1


@dataclass
class Pending:
    client: bytes
    request: protocol.Request
    payload: bytes
    deadline: float
    retry_at: float = 0.0


class Broker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.context = zmq.Context.instance()
        self.frontend = self.context.socket(zmq.ROUTER)
        self.frontend.setsockopt(zmq.LINGER, 0)
        self.frontend.bind(settings.broker_bind)
        self.updates_in = self.context.socket(zmq.XSUB)
        self.updates_in.bind(settings.broker_publish_in)
        self.updates_out = self.context.socket(zmq.XPUB)
        self.updates_out.bind(settings.broker_publish_out)
        self.directory = Directory(
            parse_static(settings.workers),
            use_zeroconf=settings.discovery in ("zeroconf", "both"),
            interfaces=settings.zeroconf_interfaces,
        )
        self.sockets: dict[str, zmq.Socket[bytes]] = {}
        self.endpoints: dict[str, str] = {}
        self.owners: dict[str, str] = {}
        self.waiting: list[Pending] = []
        self.inflight: dict[str, Pending] = {}
        self.poller = zmq.Poller()
        for sock in (self.frontend, self.updates_in, self.updates_out):
            self.poller.register(sock, zmq.POLLIN)
        self._round_robin = itertools.count()
        self.running = True
        self.last_loop = time.monotonic()

    # -- workers -----------------------------------------------------------------

    def _endpoint(self, name: str) -> str | None:
        endpoint = self.directory.endpoint(name)
        if endpoint is None and self.settings.discovery == "both":
            # Last resort: the address the worker wrote with its heartbeat.
            row = db.Worker.get_or_none(db.Worker.name == name)
            endpoint = row.endpoint if row is not None else None
        return endpoint

    def _socket_for(self, name: str) -> zmq.Socket[bytes] | None:
        endpoint = self._endpoint(name)
        if endpoint is None:
            return None
        sock = self.sockets.get(name)
        if sock is not None and self.endpoints.get(name) == endpoint:
            return sock
        if sock is not None:
            # The worker came back on another address.
            self.poller.unregister(sock)
            sock.close(linger=0)
        sock = self.context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.IMMEDIATE, 1)
        sock.connect(endpoint)
        self.sockets[name], self.endpoints[name] = sock, endpoint
        self.poller.register(sock, zmq.POLLIN)
        return sock

    def _owner(self, resource: str) -> str | None:
        if not resource:
            live = sorted(
                name
                for (name,) in db.Worker.select(db.Worker.name)
                .where(db.Worker.last_seen > time.time() - self.settings.lease_seconds)
                .tuples()
            )
            return live[next(self._round_robin) % len(live)] if live else None
        owner = self.owners.get(resource)
        if owner is None:
            lease = db.Lease.get_or_none(db.Lease.resource == resource)
            if lease is None or lease.owner is None or lease.expires_at < time.time():
                return None
            owner = self.owners[resource] = lease.owner
        return owner

    # -- requests ----------------------------------------------------------------

    def _route(self, pending: Pending) -> None:
        now = time.monotonic()
        if now >= pending.deadline:
            metrics.ROUTED.labels("unavailable").inc()
            self._reply_error(
                pending, "unavailable", "no worker owns the event right now"
            )
            return
        try:
            owner = self._owner(pending.request.resource)
        except pw.PeeweeException as exc:
            log.warning("database error while routing: %s", exc)
            db.database.close()
            owner = None
        sock = self._socket_for(owner) if owner else None
        if sock is None:
            pending.retry_at = now + RETRY_SECONDS
            self.waiting.append(pending)
            return
        try:
            sock.send_multipart([pending.client, pending.payload], zmq.NOBLOCK)
        except zmq.Again:
            self.owners.pop(pending.request.resource, None)
            pending.retry_at = now + RETRY_SECONDS
            self.waiting.append(pending)
            return
        self.inflight[pending.request.request_id] = pending

    def _reply_error(self, pending: Pending, code: str, detail: str) -> None:
        reply = protocol.Reply(
            request_id=pending.request.request_id,
            error=protocol.ErrorBody(code, detail),
        )
        self.frontend.send_multipart([pending.client, protocol.encode(reply)])

    def _on_request(self, frames: list[bytes]) -> None:
        client, payload = frames[0], frames[-1]
        try:
            request = protocol.decode_request(payload)
        except Exception:
            log.warning("undecodable request dropped (%d bytes)", len(payload))
            return
        deadline = request.args.get("deadline")
        budget = (
            max(0.0, float(deadline) - time.time())
            if isinstance(deadline, (int, float))
            else self.settings.request_timeout
        )
        self._route(Pending(client, request, payload, time.monotonic() + budget))

    def _on_reply(self, frames: list[bytes]) -> None:
        client, payload = frames[0], frames[-1]
        reply = protocol.decode_reply(payload)
        pending = self.inflight.pop(reply.request_id, None)
        if (
            reply.error is not None
            and reply.error.code == "not_owner"
            and pending is not None
        ):
            # Ownership moved: look it up again and resend.
            self.owners.pop(pending.request.resource, None)
            metrics.ROUTED.labels("not_owner").inc()
            pending.retry_at = time.monotonic() + RETRY_SECONDS
            self.waiting.append(pending)
            return
        metrics.ROUTED.labels("answered").inc()
        self.frontend.send_multipart([client, payload])

    def _retry_waiting(self) -> None:
        now = time.monotonic()
        due = [p for p in self.waiting if p.retry_at <= now]
        if not due:
            return
        self.waiting = [p for p in self.waiting if p.retry_at > now]
        for pending in due:
            self.owners.pop(pending.request.resource, None)
            self._route(pending)
        # Forget requests whose owner never answered; the caller retries them.
        for request_id, pending in list(self.inflight.items()):
            if pending.deadline < now:
                del self.inflight[request_id]

    def run(self, ops_port: int = 0) -> None:
        metrics.serve_ops(
            "127.0.0.1", ops_port, lambda: time.monotonic() - self.last_loop < 2.0
        )
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "running", False))
        signal.signal(signal.SIGINT, lambda *_: setattr(self, "running", False))
        log.info("broker listening on %s", self.settings.broker_bind)
        try:
            while self.running:
                events = dict(self.poller.poll(50))
                self.last_loop = time.monotonic()
                if self.frontend in events:
                    self._drain(self.frontend, self._on_request)
                if self.updates_in in events:
                    self._drain(self.updates_in, self.updates_out.send_multipart)
                if self.updates_out in events:
                    # Subscriptions from relays travel upstream to the workers.
                    self._drain(self.updates_out, self.updates_in.send_multipart)
                for sock in list(self.sockets.values()):
                    if sock in events:
                        self._drain(sock, self._on_reply)
                self._retry_waiting()
        finally:
            self.directory.close()
            for sock in (
                self.frontend,
                self.updates_in,
                self.updates_out,
                *self.sockets.values(),
            ):
                sock.close(linger=0)

    @staticmethod
    def _drain(sock: zmq.Socket[bytes], handle: Any) -> None:
        for _ in range(1000):
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            handle(frames)


def main(settings: Settings, ops_port: int = 0) -> None:
    db.open_database(settings.database_url, create=True)
    Broker(settings).run(ops_port)
