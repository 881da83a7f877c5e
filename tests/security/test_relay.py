"""The WebSocket relay's guards, on a relay run in-process against SQLite."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from broker import relay as relay_module
from oddsmith import accounts, db, tokens
from oddsmith.config import Settings, load_settings
from tests.harness import free_port_block

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("sqlite_db")]


@contextlib.contextmanager
def relay_running(tmp_path: Path, **overrides: Any) -> Iterator[Settings]:
    """Serve a relay from a thread until the block ends."""
    base = free_port_block(4)
    settings = load_settings(
        {},
        data_dir=str(tmp_path),
        host="127.0.0.1",
        port=base,
        # Nothing publishes here; revocations arrive through the database.
        broker_publish_out=f"tcp://127.0.0.1:{base + 1}",
        **overrides,
    )
    tokens.ensure_signing_key(settings.secrets_path)
    relay = relay_module.Relay(settings)
    loop = asyncio.new_event_loop()
    stop: asyncio.Future[None] = loop.create_future()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(relay.serve_until(base + 2, stop),)
    )
    thread.start()
    deadline = time.monotonic() + 10
    while True:
        try:
            with connect(f"ws://127.0.0.1:{base + 2}", open_timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield settings
    finally:
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(timeout=15)
        loop.close()


def _socket(settings: Settings, **options: Any) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{settings.port + 2}", open_timeout=5, **options)


def _session(settings: Settings, lifetime: int = 600) -> tuple[str, str]:
    """Create a user with a live session; return an access token and the session id."""
    user = accounts.create_user("u" + uuid.uuid4().hex[:8], "correct horse battery")
    session_id = str(uuid.uuid4())
    db.Session.create(
        id=session_id,
        user=user,
        refresh_jti="",
        expires_at=db.utcnow() + dt.timedelta(days=1),
    )
    signer = tokens.Signer(
        settings.secrets_path, settings.token_issuer, settings.token_audience
    )
    token, _ = signer.mint(
        user_id=user.id,
        session_id=session_id,
        role="bettor",
        kind=tokens.ACCESS,
        lifetime=lifetime,
    )
    return token, session_id


def _ask(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    ws.send(json.dumps(message))
    return dict(json.loads(ws.recv(timeout=5)))


def _close_code(ws: ClientConnection, within: float) -> int | None:
    """Wait for the server to close the socket; return its close code."""
    with pytest.raises(ConnectionClosed) as closed:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        raise AssertionError("the socket stayed open")
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_a_foreign_origin_is_refused_at_the_handshake(tmp_path: Path) -> None:
    """A page from another site cannot open the socket; our own page and programs can."""
    with relay_running(tmp_path, ws_origins="https://odds.example") as settings:
        with pytest.raises(InvalidStatus) as refused:
            _socket(settings, origin="http://evil.example")
        assert refused.value.response.status_code == 403
        for origin in (f"http://127.0.0.1:{settings.port}", "https://odds.example"):
            with _socket(settings, origin=origin) as ws:
                assert _ask(ws, {"op": "ping"}) == {"type": "pong"}
        with _socket(settings) as ws:
            assert _ask(ws, {"op": "ping"}) == {"type": "pong"}
    refused_rows = db.AuditLog.select().where(db.AuditLog.action == "ws_origin_refused")
    assert [row.target for row in refused_rows] == ["http://evil.example"]


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[]",
        '{"op": "subscribe"}',
        '{"op": "ping", "extra": 1}',
        '{"op": "snapshot", "event_id": "12"}',
        '{"op": "snapshot", "event_id": 1.5}',
        '{"op": "snapshot", "event_id": 1e999}',
        '{"op": "snapshot", "event_id": true}',
        '{"op": "auth", "token": ""}',
        '{"op": "auth", "token": 5}',
        '{"token": "x"}',
    ],
)
def test_malformed_messages_are_refused_and_the_socket_stays(
    tmp_path: Path, message: str
) -> None:
    """A message off the schema gets invalid_request; the socket goes on serving."""
    with relay_running(tmp_path) as settings, _socket(settings) as ws:
        ws.send(message)
        assert json.loads(ws.recv(timeout=5)) == {
            "type": "error",
            "code": "invalid_request",
        }
        assert _ask(ws, {"op": "ping"}) == {"type": "pong"}


def test_an_oversized_message_closes_the_socket(tmp_path: Path) -> None:
    """A message over 4 KiB closes the socket with 1009 (message too big)."""
    with relay_running(tmp_path) as settings, _socket(settings) as ws:
        ws.send(json.dumps({"op": "auth", "token": "x" * 5000}))
        assert _close_code(ws, 5) == 1009


def test_a_message_flood_closes_the_socket(tmp_path: Path) -> None:
    """Past its burst and rate a client's socket is closed with 1008."""
    with (
        relay_running(tmp_path, ws_messages_per_second=1, ws_message_burst=5) as s,
        _socket(s) as ws,
    ):
        for _ in range(20):
            with contextlib.suppress(ConnectionClosed):
                ws.send('{"op": "ping"}')
        assert _close_code(ws, 5) == 1008


def test_an_idle_socket_is_closed(tmp_path: Path) -> None:
    """A socket that sends nothing for the idle limit is closed normally."""
    with relay_running(tmp_path, ws_idle_seconds=1.5) as settings:
        with _socket(settings) as ws:
            assert _close_code(ws, 6) == 1000
        # One that keeps talking stays.
        with _socket(settings) as ws:
            for _ in range(4):
                assert _ask(ws, {"op": "ping"}) == {"type": "pong"}
                time.sleep(0.6)


def test_the_socket_closes_when_its_access_token_expires(tmp_path: Path) -> None:
    """An authenticated socket is closed with 1008 once its token expires."""
    with relay_running(tmp_path) as settings:
        token, _ = _session(settings, lifetime=2)
        with _socket(settings) as ws:
            assert _ask(ws, {"op": "auth", "token": token})["type"] == "auth_ok"
            started = time.monotonic()
            assert _close_code(ws, 10) == 1008
            assert time.monotonic() - started < 8


def test_re_authenticating_keeps_the_socket_open(tmp_path: Path) -> None:
    """Sending a fresh token before expiry moves the socket's deadline."""
    with relay_running(tmp_path) as settings:
        short, _ = _session(settings, lifetime=2)
        with _socket(settings) as ws:
            assert _ask(ws, {"op": "auth", "token": short})["type"] == "auth_ok"
            fresh, _ = _session(settings, lifetime=600)
            assert _ask(ws, {"op": "auth", "token": fresh})["type"] == "auth_ok"
            time.sleep(4)
            assert _ask(ws, {"op": "ping"}) == {"type": "pong"}


def test_a_revoked_session_is_refused_and_its_sockets_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revoked session cannot authenticate, and open sockets of it are closed."""
    monkeypatch.setattr(relay_module, "REVOCATION_CHECK_SECONDS", 1.0)
    with relay_running(tmp_path) as settings:
        token, session_id = _session(settings)
        with _socket(settings) as ws:
            assert _ask(ws, {"op": "auth", "token": token})["type"] == "auth_ok"
            db.Session.update(revoked=True).where(db.Session.id == session_id).execute()
            assert _close_code(ws, 6) == 1008
        with _socket(settings) as ws:
            reply = _ask(ws, {"op": "auth", "token": token})
            assert reply == {"type": "error", "code": "unauthorized"}


def test_forged_tokens_get_no_identity(tmp_path: Path) -> None:
    """A token whose payload was changed, or that is not a token, is unauthorized."""
    with relay_running(tmp_path) as settings:
        token, _ = _session(settings)
        header, payload, signature = token.split(".")
        claims = msgspec.json.decode(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        claims["sub"] = str(int(claims["sub"]) + 1)
        forged = base64.urlsafe_b64encode(msgspec.json.encode(claims)).rstrip(b"=")
        with _socket(settings) as ws:
            for bad in (f"{header}.{forged.decode()}.{signature}", "a.b.c"):
                reply = _ask(ws, {"op": "auth", "token": bad})
                assert reply == {"type": "error", "code": "unauthorized"}
