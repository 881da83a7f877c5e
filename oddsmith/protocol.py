"""The one envelope every process uses on ZeroMQ, and its encoding.

A request names an operation in snake_case (``place_bet``, ``settle``), the
resource it touches, and a request id that follows it through every process
and log line. A reply echoes the id and carries either a result or an error.
Published updates are a topic frame (``event.12``, ``user.7``) and a JSON body.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec


class Request(msgspec.Struct, frozen=True, kw_only=True):
    op: str
    request_id: str
    # The resource whose owner must handle the request: "event:12", "table:3",
    # or "" for any worker.
    resource: str = ""
    args: dict[str, Any] = {}
    # Admin identity for audited operations; 0 for a bettor's own request.
    actor: int = 0


class ErrorBody(msgspec.Struct, frozen=True):
    code: str
    detail: str
    current: dict[str, Any] | None = None


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None


_encoder = msgspec.json.Encoder()
_request_decoder = msgspec.json.Decoder(Request)
_reply_decoder = msgspec.json.Decoder(Reply)


def encode(message: Request | Reply | dict[str, Any]) -> bytes:
    return _encoder.encode(message)


def decode_request(data: bytes) -> Request:
    return _request_decoder.decode(data)


def decode_reply(data: bytes) -> Reply:
    return _reply_decoder.decode(data)


def event_topic(event_id: int) -> bytes:
    return f"event.{event_id}".encode()


def user_topic(user_id: int) -> bytes:
    return f"user.{user_id}".encode()


def table_topic(table_id: int) -> bytes:
    return f"table.{table_id}".encode()


# Sent when a session is revoked, so relays close its sockets at once.
SESSION_TOPIC = b"session"


# -- WebSocket messages from a browser to a relay -------------------------------


class _SocketMessage(
    msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag_field="op"
):
    pass


class SocketAuth(_SocketMessage, frozen=True, tag="auth"):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class SocketSnapshot(_SocketMessage, frozen=True, tag="snapshot"):
    event_id: Annotated[int, msgspec.Meta(ge=1, le=2**53)]


class SocketPing(_SocketMessage, frozen=True, tag="ping"):
    pass


SocketMessage = SocketAuth | SocketSnapshot | SocketPing
