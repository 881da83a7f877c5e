"""Abuse controls on a running platform: rate limits, brute force, the audit log.

The platform, shared with test_attacks, has small limits with hour-long
windows (conftest.LIMITS). Each test speaks for clients at its own
documentation addresses (RFC 5737) by calling the services directly with
X-Real-IP, which they trust from loopback only; nginx, in front, overwrites the
header with the real peer, and loopback itself is exempt from every limit.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pytest
import requests

from tests.harness import Platform
from tests.security.conftest import WINDOW, audit_actions, snapshot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def whole_window() -> None:
    """Start each test at least half a minute before a limit window closes."""
    # A window closing mid-test would reset the counts the test relies on.
    left = WINDOW - time.time() % WINDOW
    if left < 30:
        time.sleep(left + 1)


@pytest.fixture(scope="module")
def admin(platform: Platform) -> str:
    return platform.admin_token()


class Client:
    """Requests sent straight to the services as if nginx forwarded them from ``address``."""

    def __init__(self, platform: Platform, address: str) -> None:
        base = int(platform.env["ODDSMITH_INTERNAL_PORT_BASE"])
        self.auth = f"http://127.0.0.1:{base + 1}"
        self.game = f"http://127.0.0.1:{base + 11}"
        self.address = address
        self.session = requests.Session()

    def post(
        self, url: str, body: Any, token: str | None = None, **headers: str
    ) -> requests.Response:
        headers["X-Real-IP"] = self.address
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.post(url, json=body, headers=headers, timeout=30)

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        return self.post(
            self.auth + "/api/auth/login", {"username": username, "password": password}
        )

    def register(self, username: str) -> requests.Response:
        return self.post(
            self.auth + "/api/auth/register",
            {"username": username, "password": PASSWORD},
        )

    def bet(self, token: str, body: dict[str, Any]) -> requests.Response:
        return self.post(
            self.game + "/api/bets",
            body,
            token,
            **{"Idempotency-Key": uuid.uuid4().hex},
        )


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _user(platform: Platform, address: str, prefix: str) -> tuple[str, str]:
    """Register and log in a user from ``address``; return its name and token."""
    client = Client(platform, address)
    name = _name(prefix)
    assert client.register(name).status_code == 201
    resp = client.login(name)
    assert resp.status_code == 200, resp.text
    return name, resp.json()["access_token"]


def _assert_throttled(resp: requests.Response) -> None:
    assert resp.status_code == 429, resp.text
    assert resp.json()["code"] == "rate_limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= WINDOW


def test_login_attempts_are_limited_per_address(platform: Platform) -> None:
    """An address gets 8 logins per window, then 429; another address is unaffected."""
    busy, other = Client(platform, "203.0.113.10"), Client(platform, "203.0.113.11")
    for _ in range(8):
        # A fresh name each time: only the per-address limit is in play.
        assert busy.login(_name("ghost")).status_code == 401
    _assert_throttled(busy.login(_name("ghost")))
    assert other.login(_name("ghost")).status_code == 401


def test_loopback_clients_are_exempt_by_default(platform: Platform) -> None:
    """Through nginx (loopback) more logins than the limit pass without a 429."""
    for _ in range(10):
        resp = platform.call(
            "POST",
            "/api/auth/login",
            body={"username": _name("local"), "password": "wrong password!!"},
        )
        assert resp.status_code == 401, resp.text


def test_guessing_one_name_is_slowed_without_locking_its_owner_out(
    platform: Platform,
) -> None:
    """After 3 failures the guesser's address waits; the owner still logs in anywhere."""
    owner, _ = _user(platform, "198.51.100.20", "victim")
    guesser = Client(platform, "203.0.113.20")
    for _ in range(3):
        assert guesser.login(owner, "wrong password!!").status_code == 401
    # Even the right password is refused from the guesser's address now.
    _assert_throttled(guesser.login(owner))
    assert Client(platform, "198.51.100.20").login(owner).status_code == 200
    assert Client(platform, "198.51.100.21").login(owner).status_code == 200


def test_a_distributed_guess_throttles_strangers_but_not_known_addresses(
    platform: Platform,
) -> None:
    """Six failures from six addresses bar new addresses; the owner's known one gets in."""
    owner, _ = _user(platform, "198.51.100.30", "target")
    for i in range(6):
        assert (
            Client(platform, f"203.0.113.{30 + i}")
            .login(owner, "nope nope nope")
            .status_code
            == 401
        )
    _assert_throttled(Client(platform, "203.0.113.40").login(owner))
    assert Client(platform, "198.51.100.30").login(owner).status_code == 200


def test_throttling_tells_no_name_apart_from_a_real_one(platform: Platform) -> None:
    """A throttled real name and a throttled unknown name get the same answer."""
    owner, _ = _user(platform, "198.51.100.50", "real")
    nobody = _name("nobody")
    answers = []
    for name, net in ((owner, 50), (nobody, 60)):
        for i in range(6):
            Client(platform, f"192.0.2.{net + i}").login(name, "wrong password!!")
        answers.append(Client(platform, "192.0.2.99").login(name, "wrong password!!"))
    real, unknown = answers
    assert real.status_code == unknown.status_code == 429
    assert real.json() == unknown.json()


def test_registration_is_limited_per_address(platform: Platform) -> None:
    """Three registrations per address and window, a taken name included, then 429."""
    client = Client(platform, "203.0.113.70")
    taken = _name("first")
    assert client.register(taken).status_code == 201
    taken_again = client.register(taken)
    assert taken_again.status_code == 409
    assert taken_again.json()["code"] == "username_taken"
    assert client.register(_name("second")).status_code == 201
    _assert_throttled(client.register(_name("third")))
    assert (
        Client(platform, "203.0.113.71").register(_name("elsewhere")).status_code == 201
    )


def _open_match(platform: Platform, admin: str) -> dict[str, Any]:
    created = platform.call(
        "POST",
        "/api/admin/events",
        admin,
        {
            "home": "Limit FC",
            "away": "Burst Rovers",
            "starts_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_bets_are_limited_per_user_and_per_address(
    platform: Platform, admin: str
) -> None:
    """A user gets 5 bets per window and an address 8; a refused bet moves no money."""
    match = _open_match(platform, admin)
    selection = match["markets"][0]["selections"][0]
    valid = {
        "event_id": match["id"],
        "selection_id": selection["id"],
        "stake": 100,
        "odds": "1.01",
        "policy": "any",
    }
    first_name, first = _user(platform, "198.51.100.80", "punter")
    _, second = _user(platform, "198.51.100.81", "punter")
    users = platform.call("GET", "/api/admin/users?username=punter", admin).json()
    for user in users["users"]:
        platform.call(
            "PUT",
            f"/api/admin/users/{user['id']}/balance",
            admin,
            {"balance": 10_000, "reason": "limit test"},
        )
    shared = Client(platform, "203.0.113.80")
    for _ in range(5):
        assert shared.bet(first, valid).status_code == 201
    url = platform.env["ODDSMITH_DB"]
    before = snapshot(url)
    _assert_throttled(shared.bet(first, valid))
    assert snapshot(url) == before

    # The second user has bets left, but the address has had 6 of its 8.
    assert shared.bet(second, valid).status_code == 201
    assert shared.bet(second, valid).status_code == 201
    _assert_throttled(shared.bet(second, valid))
    # From another address the second user may go on; the first may not.
    elsewhere = Client(platform, "203.0.113.81")
    assert elsewhere.bet(second, valid).status_code == 201
    _assert_throttled(elsewhere.bet(first, valid))
    me = platform.call("GET", "/api/me", first).json()
    assert (me["username"], me["balance"]) == (first_name, 10_000 - 5 * 100)


def test_nginx_overwrites_a_forged_client_address(platform: Platform) -> None:
    """X-Real-IP sent to nginx is replaced by the real peer; the services see loopback."""
    since = max(
        (row[0] for row in audit_actions(platform.env["ODDSMITH_DB"])), default=0
    )
    name = _name("spoof")
    resp = platform.call(
        "POST",
        "/api/auth/login",
        body={"username": name, "password": "whatever password"},
        **{"X-Real-IP": "203.0.113.99", "X-Forwarded-For": "203.0.113.99"},
    )
    assert resp.status_code == 401
    failed = [
        row
        for row in audit_actions(platform.env["ODDSMITH_DB"], since)
        if row[1] == "login_failed" and row[2] == f"name:{name}"
    ]
    assert [row[3] for row in failed] == ["127.0.0.1"]


def test_security_events_and_admin_actions_are_audited(
    platform: Platform, admin: str
) -> None:
    """Logins, failures, refusals, throttling and admin actions each leave an audit line."""
    url = platform.env["ODDSMITH_DB"]
    since = max((row[0] for row in audit_actions(url)), default=0)
    name, token = _user(platform, "198.51.100.90", "audited")
    client = Client(platform, "203.0.113.90")
    for _ in range(4):
        client.login(name, "wrong password!!")
    user_id = platform.call("GET", "/api/me", token).json()["id"]
    platform.call(
        "PUT",
        f"/api/admin/users/{user_id}/balance",
        admin,
        {"balance": 777, "reason": "audit test"},
    )
    platform.call("GET", "/api/admin/users?username=audited", admin)
    platform.call("GET", "/api/admin/house", token)
    platform.call("POST", "/api/admin/events/1/settle", admin, {"outcome": "nonsense"})
    platform.call("POST", "/api/auth/logout", token)

    rows = audit_actions(url, since)
    actions = [row[1] for row in rows]
    for expected in (
        "register",
        "login",
        "login_failed",
        "login_throttled",
        "set_balance",
        "admin_user_search",
        "admin_refused",
        "admin_failed",
        "logout",
    ):
        assert expected in actions, (expected, actions)
    failures = [row for row in rows if row[1] == "login_failed"]
    assert {row[3] for row in failures} == {"203.0.113.90"}
    assert len(failures) == 3
