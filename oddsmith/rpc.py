"""Send a request to the worker that owns a resource, through the broker.

Each process (each gunicorn worker after fork) holds one DEALER socket. A call
retries with the same request id and idempotency key until its deadline, so a
request lost with a dead worker is answered by the next owner; the worker's
idempotency check makes a retried bet count once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from typing import Any

import zmq

from oddsmith import errors, protocol

log = logging.getLogger(__name__)

# How long one attempt waits before sending the same request again.
ATTEMPT_SECONDS = 2.0


class BrokerClient:
    """A DEALER socket per thread (ZeroMQ sockets are not thread-safe)."""

    def __init__(self, endpoint: str, timeout: float) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._context = zmq.Context.instance()
        self._local = threading.local()

    def _connect(self) -> zmq.Socket[bytes]:
        socket: zmq.Socket[bytes] | None = getattr(self._local, "socket", None)
        # A socket must not cross a fork: gunicorn imports the app first.
        if socket is None or self._local.pid != os.getpid():
            socket = self._context.socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 0)
            # Queue nothing while the broker is away: a late delivery would
            # place a bet the client was already told had failed.
            socket.setsockopt(zmq.IMMEDIATE, 1)
            socket.connect(self.endpoint)
            self._local.socket, self._local.pid = socket, os.getpid()
        return socket

    def _reset(self) -> None:
        socket = getattr(self._local, "socket", None)
        if socket is not None and self._local.pid == os.getpid():
            socket.close(linger=0)
        self._local.socket = None

    def call(
        self,
        op: str,
        resource: str,
        args: dict[str, Any],
        *,
        request_id: str | None = None,
        actor: int = 0,
    ) -> dict[str, Any]:
        """Return the owner's result, or raise the domain error it sent back."""
        deadline = time.monotonic() + self.timeout
        request = protocol.Request(
            op=op,
            request_id=request_id or uuid.uuid4().hex,
            resource=resource,
            args={**args, "deadline": time.time() + self.timeout},
            actor=actor,
        )
        payload = protocol.encode(request)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise errors.Unavailable(
                    "No worker answered in time; retry with the same Idempotency-Key."
                )
            socket = self._connect()
            try:
                socket.send(payload, zmq.NOBLOCK)
            except zmq.Again:
                # No connection to the broker yet: wait a little and retry.
                time.sleep(min(0.1, remaining))
                continue
            reply = self._await(
                socket, request.request_id, min(ATTEMPT_SECONDS, remaining)
            )
            if reply is None:
                log.warning(
                    "no reply to %s %s within an attempt; retrying",
                    op,
                    request.request_id,
                )
                self._reset()
                continue
            if reply.error is not None:
                if reply.error.code in ("not_owner", "unavailable"):
                    time.sleep(0.05)
                    continue
                raise errors.from_code(
                    reply.error.code, reply.error.detail, reply.error.current
                )
            return reply.result or {}

    def _await(
        self, socket: zmq.Socket[bytes], request_id: str, seconds: float
    ) -> protocol.Reply | None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if not socket.poll(int(left * 1000) + 1):
                return None
            reply = protocol.decode_reply(socket.recv())
            if reply.request_id == request_id:
                return reply
            # A late answer to an earlier attempt: already given up on.
        return None


class Publisher:
    """Publish updates into the broker's stream from a process that is no worker."""

    def __init__(self, endpoint: str) -> None:
        # Connected at once: a PUB socket drops what it sends before the
        # broker's subscription has reached it.
        self._socket = zmq.Context.instance().socket(zmq.PUB)
        self._socket.setsockopt(zmq.LINGER, 500)
        self._socket.connect(endpoint)
        self._lock = threading.Lock()

    def publish(self, topic: bytes, body: dict[str, Any]) -> None:
        with self._lock:
            self._socket.send_multipart([topic, protocol.encode(body)], zmq.NOBLOCK)
