"""Relay published updates to browsers over WebSocket.

The relay subscribes to the broker's update stream. Public updates (events,
tables) go to every client; private ones (``user.<id>``) only to that user's
authenticated sockets. Each update is encoded once and handed to every socket
without waiting: a client whose buffer is full is skipped, not waited for.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections import defaultdict
from typing import Any

import peewee as pw
import zmq
import zmq.asyncio
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from oddsmith import db, errors, events, metrics
from oddsmith.config import Settings
from oddsmith.protocol import SESSION_TOPIC
from oddsmith.tokens import Verifier

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4096


class Relay:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verifier = Verifier(
            settings.secrets_path, settings.token_issuer, settings.token_audience
        )
        self.clients: set[ServerConnection] = set()
        self.by_user: dict[int, set[ServerConnection]] = defaultdict(set)
        self.by_session: dict[str, set[ServerConnection]] = defaultdict(set)

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
                session_id = json.loads(body)["session_id"]
                for ws in list(self.by_session.get(session_id, ())):
                    await ws.close(1008, "session ended")
                continue
            text = body.decode()
            if topic.startswith(b"user."):
                user_id = int(topic[5:])
                broadcast(self.by_user.get(user_id, ()), text)
            else:
                broadcast(self.clients, text)
                metrics.UPDATES_RELAYED.inc()

    async def serve_client(self, ws: ServerConnection) -> None:
        self.clients.add(ws)
        metrics.WEBSOCKET_CLIENTS.set(len(self.clients))
        user_id: int | None = None
        session_id: str | None = None
        try:
            async for message in ws:
                reply, identity = self._handle(message)
                if identity is not None:
                    user_id, session_id = identity
                    self.by_user[user_id].add(ws)
                    self.by_session[session_id].add(ws)
                if reply is not None:
                    await ws.send(json.dumps(reply))
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(ws)
            metrics.WEBSOCKET_CLIENTS.set(len(self.clients))
            if user_id is not None:
                self.by_user[user_id].discard(ws)
            if session_id is not None:
                self.by_session[session_id].discard(ws)

    def _handle(
        self, message: str | bytes
    ) -> tuple[dict[str, Any] | None, tuple[int, str] | None]:
        """Answer one client message; return the reply and a new identity if any."""
        try:
            request = json.loads(message)
            op = request["op"]
        except (ValueError, TypeError, KeyError):
            return {"type": "error", "code": "invalid_request"}, None
        if op == "ping":
            return {"type": "pong"}, None
        if op == "auth":
            try:
                claims = self.verifier.verify(str(request.get("token", "")))
                session = db.Session.get_or_none(db.Session.id == claims.session_id)
                if session is None or session.revoked:
                    raise errors.Unauthorized("session ended")
            except errors.OddsmithError:
                return {"type": "error", "code": "unauthorized"}, None
            return {"type": "auth_ok", "user_id": claims.user_id}, (
                claims.user_id,
                claims.session_id,
            )
        if op == "snapshot":
            event_id = request.get("event_id")
            if not isinstance(event_id, int):
                return {"type": "error", "code": "invalid_request"}, None
            try:
                db.database.connect(reuse_if_open=True)
                event = db.Event.get_or_none(db.Event.id == event_id)
            except pw.PeeweeException:
                db.database.close()
                return {"type": "error", "code": "unavailable"}, None
            if event is None:
                return {"type": "error", "code": "not_found"}, None
            return {"type": "event", "event": events.view(event)}, None
        return {"type": "error", "code": "invalid_request"}, None

    async def run(self, port: int) -> None:
        stop = asyncio.get_running_loop().create_future()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
        pump = asyncio.create_task(self.pump())
        async with serve(
            self.serve_client,
            self.settings.host,
            port,
            max_size=MAX_MESSAGE_BYTES,
            ping_interval=20,
            ping_timeout=20,
            # A client that stops reading is dropped instead of growing memory.
            write_limit=256 * 1024,
        ):
            log.info("relay listening on ws://%s:%s", self.settings.host, port)
            await stop
        pump.cancel()


def main(settings: Settings, port: int, ops_port: int = 0) -> None:
    db.open_database(settings.database_url, create=False)
    relay = Relay(settings)
    metrics.serve_ops(settings.host, ops_port, lambda: True)
    asyncio.run(relay.run(port))
