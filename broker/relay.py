"""Relay published updates to browsers over WebSocket.

The relay subscribes to the broker's update stream. Public updates (events,
tables) go to every client; private ones (``user.<id>``) only to that user's
authenticated sockets. Each update is encoded once and handed to every socket
without waiting: a client whose buffer is full is skipped, not waited for.

Guards: the handshake is refused to a browser page from a foreign origin;
every client message is validated against its schema and rate limited; a
socket is closed when idle, when its access token expires without a new
``auth``, and at once when its session is revoked (logout, refresh reuse).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import msgspec
import peewee as pw
import zmq
import zmq.asyncio
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from oddsmith import db, errors, events, metrics, protocol, security
from oddsmith.config import Settings
from oddsmith.protocol import SESSION_TOPIC
from oddsmith.tokens import Verifier

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4096
# How often closing rules are applied, and revocations re-read from the
# database (in case a revocation message was lost, e.g. across a relay restart).
SWEEP_SECONDS = 1.0
REVOCATION_CHECK_SECONDS = 10.0
# Policy violation, per RFC 6455: expired or revoked session, too many messages.
CLOSE_POLICY = 1008

_decoder = msgspec.json.Decoder(protocol.SocketMessage)
_encoder = msgspec.json.Encoder()


class SessionEnded(Exception):
    """Raised when an ``auth`` names a revoked, unknown or mismatched session."""


@dataclass
class Client:
    """What the relay knows of one socket."""

    ws: ServerConnection
    bucket: security.TokenBucket
    last_active: float
    user_id: int | None = None
    session_id: str | None = None
    # Wall-clock second at which the access token expires; 0 when anonymous.
    expires_at: float = 0.0
    closing: bool = field(default=False)


class Relay:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verifier = Verifier(
            settings.secrets_path, settings.token_issuer, settings.token_audience
        )
        self.origins = security.OriginPolicy.build(
            settings.host, settings.port, settings.ws_origins
        )
        self.trusted = security.parse_networks(settings.trusted_proxies)
        self.clients: dict[ServerConnection, Client] = {}
        self.by_user: dict[int, set[ServerConnection]] = defaultdict(set)
        self.by_session: dict[str, set[ServerConnection]] = defaultdict(set)
        self._tasks: set[asyncio.Task[None]] = set()
        # Conflation: the latest update per event topic, waiting to be sent,
        # and the version each event's last message carried.
        self.pending: dict[bytes, bytes] = {}
        self.sent_versions: dict[bytes, int] = {}
        self.dirty = asyncio.Event()

    # -- closing ---------------------------------------------------------------

    def close(self, ws: ServerConnection, code: int, reason: str) -> None:
        """Close a socket in the background: a slow client must not stall us."""
        client = self.clients.get(ws)
        if client is not None:
            if client.closing:
                return
            client.closing = True
        task = asyncio.create_task(ws.close(code, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close_session(self, session_id: str) -> None:
        for ws in list(self.by_session.get(session_id, ())):
            self.close(ws, CLOSE_POLICY, "session ended")

    def sweep(self, now: float, wall: float) -> None:
        """Close idle sockets and those whose access token has expired."""
        idle_limit = self.settings.ws_idle_seconds
        for ws, client in list(self.clients.items()):
            if client.user_id is not None and wall >= client.expires_at:
                self.close(ws, CLOSE_POLICY, "token expired")
            elif now - client.last_active >= idle_limit:
                self.close(ws, 1000, "idle")

    def revoked_sessions(self) -> list[str]:
        """Return the sessions of connected sockets that are revoked in the database."""
        live = [sid for sid, sockets in self.by_session.items() if sockets]
        revoked: list[str] = []
        db.database.connect(reuse_if_open=True)
        for start in range(0, len(live), 500):
            chunk = live[start : start + 500]
            revoked.extend(
                session_id
                for (session_id,) in db.Session.select(db.Session.id)
                .where(db.Session.id.in_(chunk) & db.Session.revoked)
                .tuples()
            )
        return revoked

    async def guard(self) -> None:
        """Apply the closing rules every second, revocations every few seconds."""
        last_check = time.monotonic()
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = time.monotonic()
            self.sweep(now, time.time())
            if now - last_check >= REVOCATION_CHECK_SECONDS:
                last_check = now
                try:
                    for session_id in self.revoked_sessions():
                        self.close_session(session_id)
                except pw.PeeweeException as exc:
                    db.database.close()
                    log.warning("could not re-read revoked sessions: %s", exc)

    # -- the update stream -----------------------------------------------------

    async def pump(self) -> None:
        """Forward every update from the broker to the sockets it is for."""
        context = zmq.asyncio.Context.instance()
        sub = context.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(self.settings.broker_publish_out)
        while True:
            topic, body = await sub.recv_multipart()
            if topic == SESSION_TOPIC:
                try:
                    session_id = msgspec.json.decode(body)["session_id"]
                except (msgspec.DecodeError, KeyError, TypeError):
                    log.warning("ignored a malformed session message")
                    continue
                self.close_session(str(session_id))
                continue
            if topic.startswith(b"event.") and self.settings.ws_conflate_ms > 0:
                self.pending[topic] = body
                self.dirty.set()
                continue
            text = body.decode()
            if topic.startswith(b"user."):
                user_id = int(topic[5:])
                broadcast(self.by_user.get(user_id, ()), text)
            else:
                self.broadcast_public(text)

    def broadcast_public(self, text: str) -> None:
        """Send to every client that keeps up; drop those far behind."""
        limit = self.settings.ws_slow_client_bytes
        ready = []
        for ws in self.clients:
            transport = ws.transport
            if transport is not None and transport.get_write_buffer_size() > limit:
                self.close(ws, 1013, "too slow")
            else:
                ready.append(ws)
        broadcast(ready, text)
        metrics.UPDATES_RELAYED.inc()

    async def conflate(self) -> None:
        """Send the latest snapshot of each changed event, at most once per interval.

        The first change after a quiet spell goes out at once; changes within
        the interval that follows are folded into one message. Each message
        names the version the previous one carried (``previous``), so a
        client sees a real gap only when it missed a message, not when
        versions were folded.
        """
        interval = self.settings.ws_conflate_ms / 1000
        while True:
            await self.dirty.wait()
            self.dirty.clear()
            pending, self.pending = self.pending, {}
            for topic, body in pending.items():
                try:
                    message = msgspec.json.decode(body)
                    version = int(message["event"]["version"])
                except (msgspec.DecodeError, KeyError, TypeError, ValueError):
                    log.warning("ignored a malformed event update on %r", topic)
                    continue
                message["previous"] = self.sent_versions.get(topic, version - 1)
                self.sent_versions[topic] = version
                self.broadcast_public(_encoder.encode(message).decode())
            await asyncio.sleep(interval)

    # -- one client ------------------------------------------------------------

    def check_origin(self, ws: ServerConnection, request: Request) -> Response | None:
        """Refuse the handshake of a page from an origin not allowed."""
        origin = request.headers.get("Origin")
        if self.origins.allows(origin, request.headers.get("Host")):
            return None
        peer = ws.remote_address[0] if ws.remote_address else ""
        address = security.client_address(
            str(peer), request.headers.get("X-Real-IP"), self.trusted
        )
        log.warning("refused a WebSocket from origin %r at %s", origin, address)
        try:
            db.database.connect(reuse_if_open=True)
            security.record_event(
                "ws_origin_refused", target=str(origin)[:100], detail=address
            )
        except pw.PeeweeException:
            db.database.close()
        return ws.respond(403, "Origin not allowed\n")

    def _forget_identity(self, ws: ServerConnection, client: Client) -> None:
        if client.user_id is not None:
            self.by_user[client.user_id].discard(ws)
            if not self.by_user[client.user_id]:
                del self.by_user[client.user_id]
        if client.session_id is not None:
            self.by_session[client.session_id].discard(ws)
            if not self.by_session[client.session_id]:
                del self.by_session[client.session_id]
        client.user_id = client.session_id = None
        client.expires_at = 0.0

    async def serve_client(self, ws: ServerConnection) -> None:
        client = Client(
            ws=ws,
            bucket=security.TokenBucket(
                self.settings.ws_messages_per_second, self.settings.ws_message_burst
            ),
            last_active=time.monotonic(),
        )
        self.clients[ws] = client
        metrics.WEBSOCKET_CLIENTS.set(len(self.clients))
        try:
            async for message in ws:
                now = time.monotonic()
                client.last_active = now
                if not client.bucket.take(now):
                    # Closed here, not in the background: returning from the
                    # handler would otherwise close it first, as a normal 1000.
                    client.closing = True
                    await ws.close(CLOSE_POLICY, "too many messages")
                    break
                reply = self.handle(client, message)
                await ws.send(_encoder.encode(reply).decode())
        except ConnectionClosed:
            pass
        finally:
            self._forget_identity(ws, client)
            self.clients.pop(ws, None)
            metrics.WEBSOCKET_CLIENTS.set(len(self.clients))

    def handle(self, client: Client, message: str | bytes) -> dict[str, Any]:
        """Answer one client message, updating the socket's identity on ``auth``."""
        try:
            request = _decoder.decode(message)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return {"type": "error", "code": "invalid_request"}
        if isinstance(request, protocol.SocketPing):
            return {"type": "pong"}
        if isinstance(request, protocol.SocketAuth):
            # A failed auth also drops the identity the socket had: it must not
            # keep a user's private messages on a token it cannot renew.
            self._forget_identity(client.ws, client)
            try:
                claims = self.verifier.verify(request.token)
                db.database.connect(reuse_if_open=True)
                session = db.Session.get_or_none(db.Session.id == claims.session_id)
                if (
                    session is None
                    or session.revoked
                    or session.user_id != claims.user_id
                ):
                    raise SessionEnded(claims.session_id)
            except (errors.OddsmithError, SessionEnded):
                return {"type": "error", "code": "unauthorized"}
            except pw.PeeweeException:
                db.database.close()
                return {"type": "error", "code": "unavailable"}
            client.user_id, client.session_id = claims.user_id, claims.session_id
            client.expires_at = float(claims.expires_at)
            self.by_user[claims.user_id].add(client.ws)
            self.by_session[claims.session_id].add(client.ws)
            return {"type": "auth_ok", "user_id": claims.user_id}
        try:
            db.database.connect(reuse_if_open=True)
            event = db.Event.get_or_none(db.Event.id == request.event_id)
        except pw.PeeweeException:
            db.database.close()
            return {"type": "error", "code": "unavailable"}
        if event is None:
            return {"type": "error", "code": "not_found"}
        return {"type": "event", "event": events.view(event)}

    # -- running ---------------------------------------------------------------

    async def serve_until(self, port: int, stop: asyncio.Future[None]) -> None:
        """Serve on ``port`` until ``stop`` completes."""
        background = [
            asyncio.create_task(self.pump()),
            asyncio.create_task(self.guard()),
            asyncio.create_task(self.conflate()),
        ]
        async with serve(
            self.serve_client,
            self.settings.host,
            port,
            process_request=self.check_origin,
            max_size=MAX_MESSAGE_BYTES,
            ping_interval=20,
            ping_timeout=20,
            # A client that stops reading is dropped instead of growing memory.
            write_limit=256 * 1024,
        ):
            log.info("relay listening on ws://%s:%s", self.settings.host, port)
            await stop
        for task in background:
            task.cancel()

    async def run(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        stop: asyncio.Future[None] = loop.create_future()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set_result, None)
        await self.serve_until(port, stop)


def main(settings: Settings, port: int, ops_port: int = 0) -> None:
    db.open_database(settings.database_url, create=False)
    relay = Relay(settings)
    metrics.serve_ops(settings.host, ops_port, lambda: True)
    asyncio.run(relay.run(port))
