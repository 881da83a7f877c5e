"""The attack suite: each attack is refused with the right 4xx and changes nothing.

The platform (two API instances, two relays) is shared with test_abuse. State is
compared before and after every refused attack: row counts, balances, roles,
sessions and events (conftest.snapshot).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.exceptions import ConnectionClosed

from api import openapi
from tests.harness import Platform, next_message
from tests.security.conftest import audit_actions, snapshot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Bettor:
    id: int
    name: str
    token: str
    refresh: str


@dataclass(frozen=True)
class World:
    admin: str
    alice: Bettor
    bob: Bettor
    event: dict[str, Any]
    selection: dict[str, Any]
    bet: dict[str, Any]


def _bettor(platform: Platform, prefix: str) -> Bettor:
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    user = platform.register(name, PASSWORD)
    resp = platform.call(
        "POST", "/api/auth/login", body={"username": name, "password": PASSWORD}
    )
    assert resp.status_code == 200, resp.text
    pair = resp.json()
    return Bettor(user["id"], name, pair["access_token"], pair["refresh_token"])


@pytest.fixture(scope="module")
def world(platform: Platform) -> World:
    """Alice with money and one bet, Bob with money and none, one open match."""
    admin = platform.admin_token()
    alice, bob = _bettor(platform, "alice"), _bettor(platform, "bob")
    for user in (alice, bob):
        funded = platform.call(
            "PUT",
            f"/api/admin/users/{user.id}/balance",
            admin,
            {"balance": 100_000, "reason": "security suite"},
        )
        assert funded.status_code == 200, funded.text
    created = platform.call(
        "POST",
        "/api/admin/events",
        admin,
        {
            "home": "Attack FC",
            "away": "Defence United",
            "starts_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    event = created.json()
    selection = event["markets"][0]["selections"][0]
    placed = platform.place(
        alice.token, event["id"], selection["id"], 1_000, selection["odds"], "any"
    )
    assert placed.status_code == 201, placed.text
    return World(admin, alice, bob, event, selection, placed.json())


@pytest.fixture
def unchanged(platform: Platform) -> Iterator[None]:
    """Fail the test if the platform's state differs after it from before it."""
    url = platform.env["ODDSMITH_DB"]
    before = snapshot(url)
    yield
    assert snapshot(url) == before


# -- forging tokens ------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json64(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _signing_key(platform: Platform) -> tuple[str, Ed25519PrivateKey]:
    """Read the platform's current private key, as a stolen-key attacker would."""
    secrets = platform.data_dir / "secrets"
    kid = (secrets / "signing-key").read_text().strip()
    key = serialization.load_pem_private_key(
        (secrets / f"{kid}.key").read_bytes(), password=None
    )
    assert isinstance(key, Ed25519PrivateKey)
    return kid, key


def _claims_of(token: str, **changes: Any) -> dict[str, Any]:
    claims = dict(jwt.decode(token, options={"verify_signature": False}))
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


Forgery = Callable[[Platform, World], str]


def _alg_none(platform: Platform, world: World) -> str:
    kid, _ = _signing_key(platform)
    header = _json64({"alg": "none", "typ": "JWT", "kid": kid})
    return f"{header}.{_json64(_claims_of(world.bob.token, role='admin'))}."


def _hs256_with_public_key(platform: Platform, world: World) -> str:
    kid, _ = _signing_key(platform)
    public = (platform.data_dir / "secrets" / "public" / f"{kid}.pub").read_bytes()
    header = _json64({"alg": "HS256", "typ": "JWT", "kid": kid})
    body = _json64(_claims_of(world.bob.token, role="admin"))
    mac = hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(mac)}"


def _tampered(platform: Platform, world: World) -> str:
    header, _, signature = world.bob.token.split(".")
    body = _json64(_claims_of(world.bob.token, sub=str(world.alice.id)))
    return f"{header}.{body}.{signature}"


def _signed(**changes: Any) -> Forgery:
    """A token signed with the real key whose claims are wrong in one way."""

    def forge(platform: Platform, world: World) -> str:
        kid, key = _signing_key(platform)
        claims = _claims_of(world.bob.token, **changes)
        return jwt.encode(
            claims, key, "EdDSA", headers={"kid": changes.get("kid", kid)}
        )

    return forge


def _unknown_kid(platform: Platform, world: World) -> str:
    _, key = _signing_key(platform)
    claims = _claims_of(world.bob.token)
    return jwt.encode(claims, key, "EdDSA", headers={"kid": "0123456789abcdef"})


def _attacker_key(platform: Platform, world: World) -> str:
    kid, _ = _signing_key(platform)
    claims = _claims_of(world.bob.token, role="admin")
    return jwt.encode(
        claims, Ed25519PrivateKey.generate(), "EdDSA", headers={"kid": kid}
    )


def _refresh_as_access(platform: Platform, world: World) -> str:
    return world.bob.refresh


NOW = int(time.time())
FORGERIES: dict[str, Forgery] = {
    "alg none": _alg_none,
    "HS256 keyed with the public key": _hs256_with_public_key,
    "tampered payload": _tampered,
    "expired": _signed(exp=NOW - 3600, iat=NOW - 7200, nbf=NOW - 7200),
    "not yet valid": _signed(nbf=NOW + 3600),
    "wrong audience": _signed(aud="another-service"),
    "wrong issuer": _signed(iss="evil"),
    "no exp": _signed(exp=None),
    "no iat": _signed(iat=None),
    "no iss": _signed(iss=None),
    "no aud": _signed(aud=None),
    "no session": _signed(sid=None),
    "no jti": _signed(jti=None),
    "unknown key id": _unknown_kid,
    "attacker's own key": _attacker_key,
    "refresh token as access token": _refresh_as_access,
    "a session that does not exist": _signed(sid=str(uuid.uuid4())),
}


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_tokens_are_refused_everywhere(
    platform: Platform, world: World, forgery: str
) -> None:
    """Each forged token gets 401 on reads, bets, admin routes and logout."""
    token = FORGERIES[forgery](platform, world)
    attempts = [
        platform.call("GET", "/api/me", token),
        platform.call("GET", "/api/me/bets", token),
        platform.place(token, world.event["id"], world.selection["id"], 500, "1.01"),
        platform.call(
            "PUT",
            f"/api/admin/users/{world.bob.id}/balance",
            token,
            {"balance": 10**9, "reason": "forged"},
        ),
        platform.call("POST", "/api/auth/logout", token),
    ]
    for resp in attempts:
        assert resp.status_code == 401, (forgery, resp.request.url, resp.text)
        assert resp.json()["code"] == "unauthorized"
        assert resp.headers["WWW-Authenticate"] == "Bearer"


def test_forgeries_are_audited_and_expiry_is_not(
    platform: Platform, world: World
) -> None:
    """A tampered token leaves a token_refused audit line; an expired one does not."""
    since = max(
        (row[0] for row in audit_actions(platform.env["ODDSMITH_DB"])), default=0
    )
    platform.call("GET", "/api/me", _tampered(platform, world))
    platform.call("GET", "/api/me", FORGERIES["expired"](platform, world))
    actions = [row[1] for row in audit_actions(platform.env["ODDSMITH_DB"], since)]
    assert actions == ["token_refused"]


# -- roles --------------------------------------------------------------------------


SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "/api/admin/events": {
        "home": "A",
        "away": "B",
        "starts_at": "2030-01-01T15:00:00Z",
    },
    "/api/admin/events/{event_id}/settle": {"outcome": "home"},
    "/api/admin/events/{event_id}/correct": {"outcome": "away", "reason": "forged"},
    "/api/admin/fixtures/import": {"file": "2025-26_en.1"},
    "/api/admin/roulette/tables": {"name": "Forged table"},
    "/api/admin/users/{user_id}/balance": {"balance": 10**9, "reason": "forged"},
}


def _admin_calls(world: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every administration route of the OpenAPI document, with real ids filled in."""
    values = {
        "event_id": world.event["id"],
        "table_id": 1,
        "user_id": world.bob.id,
        "action": "void",
    }
    calls = []
    for path, operations in openapi.PATHS.items():
        if not path.startswith("/api/admin/"):
            continue
        for method in operations:
            concrete = path.format(**values)
            calls.append((method.upper(), concrete, SAMPLE_BODIES.get(path)))
    assert len(calls) >= 12
    return calls


@pytest.mark.usefixtures("unchanged")
def test_every_admin_route_refuses_bettors_and_strangers(
    platform: Platform, world: World
) -> None:
    """Every admin route answers 401 without a token and 403 to a bettor."""
    since = max(
        (row[0] for row in audit_actions(platform.env["ODDSMITH_DB"])), default=0
    )
    calls = _admin_calls(world)
    for method, path, body in calls:
        anonymous = platform.call(method, path, None, body)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        bettor = platform.call(method, path, world.bob.token, body)
        assert bettor.status_code == 403, (method, path, bettor.text)
        assert bettor.json()["code"] == "forbidden"
    refused = [
        row
        for row in audit_actions(platform.env["ODDSMITH_DB"], since)
        if row[1] == "admin_refused"
    ]
    assert len(refused) == 2 * len(calls)


@pytest.mark.usefixtures("unchanged")
def test_a_validly_signed_admin_role_claim_grants_nothing(
    platform: Platform, world: World
) -> None:
    """A bettor's token re-signed with role admin by the real key still gets 403."""
    token = _signed(role="admin")(platform, world)
    assert platform.call("GET", "/api/me", token).json()["role"] == "bettor"
    for method, path, body in _admin_calls(world):
        resp = platform.call(method, path, token, body)
        assert resp.status_code == 403, (method, path, resp.text)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "body",
    [
        {"username": "mallory1", "password": PASSWORD, "role": "admin"},
        {"username": "mallory2", "password": PASSWORD, "is_admin": True},
        {"username": "mallory3", "password": PASSWORD, "id": 1},
        {"username": "mallory4", "password": "short1234"},
        {"username": "mallory5", "password": "x" * 129},
        {"username": "m", "password": PASSWORD},
        {"username": "mallory six", "password": PASSWORD},
        {"username": "mällory", "password": PASSWORD},
        {"username": "x" * 33, "password": PASSWORD},
        {"username": "mallory7"},
        {"username": "mallory8", "password": 1234567890123},
    ],
)
def test_registration_cannot_set_a_role_or_break_the_rules(
    platform: Platform, body: dict[str, Any]
) -> None:
    """A registration with a role, an unknown field or a bad name or password is 422."""
    resp = platform.call("POST", "/api/auth/register", body=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "invalid_request"


@pytest.mark.usefixtures("unchanged")
def test_an_admin_cannot_slip_a_role_into_a_balance_change(
    platform: Platform, world: World
) -> None:
    """Even an administrator's balance change refuses an extra role field."""
    resp = platform.call(
        "PUT",
        f"/api/admin/users/{world.bob.id}/balance",
        world.admin,
        {"balance": 5, "reason": "try", "role": "admin"},
    )
    assert resp.status_code == 422, resp.text


# -- ownership ------------------------------------------------------------------------


def test_a_user_reads_only_their_own_account_bets_and_ledger(
    platform: Platform, world: World
) -> None:
    """Bob sees his own balance and none of Alice's bets or ledger entries."""
    me = platform.call("GET", "/api/me", world.bob.token).json()
    assert (me["id"], me["username"]) == (world.bob.id, world.bob.name)
    bob_bets = platform.call("GET", "/api/me/bets", world.bob.token).json()["bets"]
    assert world.bet["id"] not in {b["id"] for b in bob_bets}
    alice_bets = platform.call("GET", "/api/me/bets", world.alice.token).json()["bets"]
    assert world.bet["id"] in {b["id"] for b in alice_bets}
    bob_ledger = platform.call("GET", "/api/me/ledger", world.bob.token).json()
    assert all(e["bet_id"] != world.bet["id"] for e in bob_ledger["entries"])
    assert sum(e["amount"] for e in bob_ledger["entries"]) == me["balance"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "path",
    [
        "/api/me?user_id={alice}",
        "/api/me/bets?user_id={alice}",
        "/api/me/ledger?user={alice}",
        "/api/me/bets?id={bet}",
    ],
)
def test_asking_for_another_users_data_by_parameter_is_refused(
    platform: Platform, world: World, path: str
) -> None:
    """A query parameter naming another user or bet is refused, not ignored."""
    url = path.format(alice=world.alice.id, bet=world.bet["id"])
    resp = platform.call("GET", url, world.bob.token)
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "invalid_request"


# -- bodies -----------------------------------------------------------------------------


def _raw_bet(platform: Platform, token: str, raw: bytes, **headers: str) -> Any:
    return platform.session.post(
        platform.url + "/api/bets",
        data=raw,
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
            **headers,
        },
        timeout=30,
    )


BAD_STAKES = ["0", "-1", "1.5", '"10"', "1e999", "NaN", "Infinity", "-Infinity"]
BAD_STAKES += [str(10**30), "true", "null", "[]", "{}", "10000000001"]
BAD_ODDS = ['"2.1"', '"02.10"', '"2.100"', '"abc"', "2.1", '""', '"1e3"', '"NaN"']
BAD_ODDS += ['"-2.10"', '"0.50"', '"99999.00"', "null"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("stake", BAD_STAKES)
def test_bad_stakes_are_refused(platform: Platform, world: World, stake: str) -> None:
    """Zero, negative, fractional, textual, infinite, NaN and huge stakes get 422."""
    raw = (
        f'{{"event_id": {world.event["id"]}, "selection_id": {world.selection["id"]},'
        f' "stake": {stake}, "odds": "1.01", "policy": "any"}}'
    )
    resp = _raw_bet(platform, world.alice.token, raw.encode())
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "invalid_request"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("odds", BAD_ODDS)
def test_odds_of_the_wrong_form_are_refused(
    platform: Platform, world: World, odds: str
) -> None:
    """Odds must be a string with two decimals; anything else gets 422."""
    raw = (
        f'{{"event_id": {world.event["id"]}, "selection_id": {world.selection["id"]},'
        f' "stake": 100, "odds": {odds}}}'
    )
    resp = _raw_bet(platform, world.alice.token, raw.encode())
    assert resp.status_code == 422, resp.text


def _bet_body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": world.event["id"],
        "selection_id": world.selection["id"],
        "stake": 100,
        "odds": "1.01",
        "policy": "any",
        **extra,
    }


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("name", "raw", "headers", "statuses"),
    [
        ("unknown field", None, {}, {422}),
        ("another user's id", None, {}, {422}),
        ("body over 16 KiB", b'{"pad": "' + b"x" * 20_000 + b'"}', {}, {422}),
        ("body over nginx's 32 KiB", b'{"pad": "' + b"x" * 40_000 + b'"}', {}, {413}),
        ("deep nesting", b'{"odds": ' + b"[" * 5000 + b"]" * 5000 + b"}", {}, {422}),
        (
            "deep object",
            b'{"odds": ' + b'{"a":' * 3000 + b"1" + b"}" * 3000 + b"}",
            {},
            {422},
        ),
        ("not JSON", b"event_id=1&stake=100", {}, {422}),
        ("invalid UTF-8", b'{"odds": "\xff\xfe"}', {}, {422}),
        ("empty body", b"", {}, {422}),
        ("JSON array", b"[1, 2, 3]", {}, {422}),
        ("text/plain body", b"{}", {"Content-Type": "text/plain"}, {415}),
        (
            "form body",
            b"{}",
            {"Content-Type": "application/x-www-form-urlencoded"},
            {415},
        ),
        ("no idempotency key", b"{}", {"Idempotency-Key": ""}, {422}),
        ("oversized idempotency key", b"{}", {"Idempotency-Key": "k" * 65}, {422}),
    ],
)
def test_malformed_bodies_are_refused(
    platform: Platform,
    world: World,
    name: str,
    raw: bytes | None,
    headers: dict[str, str],
    statuses: set[int],
) -> None:
    """Unknown fields, oversized, deep, non-JSON or mistyped bodies are refused."""
    if raw is None:
        extra = {"mystery": 1} if name == "unknown field" else {"user_id": world.bob.id}
        raw = json.dumps(_bet_body(world, **extra)).encode()
    resp = _raw_bet(platform, world.alice.token, raw, **headers)
    assert resp.status_code in statuses, (name, resp.status_code, resp.text)
    if resp.status_code != 413:
        assert resp.json()["code"] == "invalid_request"
        assert resp.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "path",
    [
        "/api/events/99999999999999999999999",
        "/api/events/9007199254740993",
        "/api/events/0",
        "/api/events/-1",
        "/api/events/abc",
        "/api/events?kind=casino",
        "/api/events?kind=football&kind=roulette",
        "/api/events?status=",
        "/api/events?limit=100000",
    ],
)
def test_paths_and_queries_out_of_bounds_are_refused(
    platform: Platform, path: str
) -> None:
    """Huge or malformed ids are 404, bad or unknown query parameters 422, never 5xx."""
    resp = platform.call("GET", path)
    assert resp.status_code in (404, 422), (path, resp.text)


def test_an_admin_path_id_past_the_limit_is_not_found(
    platform: Platform, world: World
) -> None:
    """An administrator's request with an id too large for the database gets 404."""
    resp = platform.call(
        "PUT",
        "/api/admin/users/99999999999999999999999/balance",
        world.admin,
        {"balance": 1, "reason": "overflow"},
    )
    assert resp.status_code == 404, resp.text


# -- sessions -------------------------------------------------------------------------


def test_a_reused_refresh_token_revokes_its_whole_family(platform: Platform) -> None:
    """Replaying a used refresh token ends the session: every token of it is refused."""
    carol = _bettor(platform, "carol")
    first = platform.call(
        "POST", "/api/auth/refresh", body={"refresh_token": carol.refresh}
    )
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != carol.refresh
    assert platform.call("GET", "/api/me", rotated["access_token"]).status_code == 200

    replay = platform.call(
        "POST", "/api/auth/refresh", body={"refresh_token": carol.refresh}
    )
    assert replay.status_code == 401, replay.text
    for token in (rotated["access_token"], carol.token):
        assert platform.call("GET", "/api/me", token).status_code == 401
    latest = platform.call(
        "POST", "/api/auth/refresh", body={"refresh_token": rotated["refresh_token"]}
    )
    assert latest.status_code == 401, latest.text
    actions = [row[1] for row in audit_actions(platform.env["ODDSMITH_DB"])]
    assert "refresh_reused" in actions


def test_logout_revokes_at_once_on_every_instance_and_closes_sockets(
    platform: Platform,
) -> None:
    """After logout both API instances refuse the token and every relay closes its sockets with 1008."""
    dave = _bettor(platform, "dave")
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(platform.websocket()) for _ in range(4)]
        for ws in sockets:
            ws.send(json.dumps({"op": "auth", "token": dave.token}))
            next_message(ws, lambda m: m["type"] == "auth_ok")
        logout = platform.call("POST", "/api/auth/logout", dave.token)
        assert logout.status_code == 204, logout.text
        started = time.monotonic()
        for ws in sockets:
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=max(0.1, 5 - (time.monotonic() - started)))
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1008
        # Closed by the announcement, well before the periodic database check.
        assert time.monotonic() - started < 5
    base = int(platform.env["ODDSMITH_INTERNAL_PORT_BASE"])
    for port in (base + 11, base + 12):
        direct = requests.get(
            f"http://127.0.0.1:{port}/api/me",
            headers={"Authorization": f"Bearer {dave.token}"},
            timeout=10,
        )
        assert direct.status_code == 401, (port, direct.text)
    refresh = platform.call(
        "POST", "/api/auth/refresh", body={"refresh_token": dave.refresh}
    )
    assert refresh.status_code == 401
    with platform.websocket() as ws:
        ws.send(json.dumps({"op": "auth", "token": dave.token}))
        reply = next_message(ws, lambda m: m["type"] in ("auth_ok", "error"))
        assert reply == {"type": "error", "code": "unauthorized"}


def test_rotating_keys_logs_nobody_out(platform: Platform) -> None:
    """`oddsmith rotate-keys` on a running platform: old tokens work, new ones use the new key."""
    erin = _bettor(platform, "erin")
    old_kid = jwt.get_unverified_header(erin.token)["kid"]
    done = subprocess.run(
        [sys.executable, "-m", "oddsmith.cli", "rotate-keys"],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    new_kid = (platform.data_dir / "secrets" / "signing-key").read_text().strip()
    assert new_kid != old_kid and new_kid in done.stdout

    assert platform.call("GET", "/api/me", erin.token).status_code == 200
    refreshed = platform.call(
        "POST", "/api/auth/refresh", body={"refresh_token": erin.refresh}
    )
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()["access_token"]
    assert jwt.get_unverified_header(fresh)["kid"] == new_kid
    assert platform.call("GET", "/api/me", fresh).status_code == 200
    with platform.websocket() as ws:
        ws.send(json.dumps({"op": "auth", "token": fresh}))
        assert next_message(ws, lambda m: m["type"] != "event")["type"] == "auth_ok"


# -- HTTP hardening ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/api/events", "/api/nowhere", "/api/auth/health"]
)
def test_nginx_adds_the_security_headers(platform: Platform, path: str) -> None:
    """Pages and API answers carry nosniff, DENY framing, no referrer and the CSP."""
    resp = platform.call("GET", path)
    headers = resp.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = {
        part.strip().split(" ")[0]: part.strip()
        for part in headers["Content-Security-Policy"].split(";")
    }
    assert csp["default-src"] == "default-src 'self'"
    assert csp["script-src"] == "script-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "Server" not in headers or "nginx/" not in headers["Server"]
    if path.startswith("/api/"):
        assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["OPTIONS", "GET", "POST"])
def test_cors_is_closed(platform: Platform, method: str) -> None:
    """A foreign origin gets no Access-Control-Allow-* header on any answer."""
    resp = platform.session.request(
        method,
        platform.url + "/api/auth/login",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
        timeout=10,
    )
    assert not [h for h in resp.headers if h.lower().startswith("access-control-")]


def test_a_foreign_page_cannot_open_the_websocket(platform: Platform) -> None:
    """Through nginx, a WebSocket from another site's page is refused with 403."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus) as refused:
        connect(
            f"ws://127.0.0.1:{platform.port}/ws",
            origin="http://evil.example",
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403
    with connect(
        f"ws://127.0.0.1:{platform.port}/ws",
        origin=f"http://127.0.0.1:{platform.port}",
        open_timeout=10,
    ) as ws:
        ws.send(json.dumps({"op": "ping"}))
        assert next_message(ws, lambda m: m["type"] == "pong") == {"type": "pong"}
