"""Rate limits, client addresses, origins and message buckets, without a platform."""

from __future__ import annotations

import ipaddress

import pytest

from oddsmith import ratelimit, security

pytestmark = pytest.mark.timeout(60)

NOW = 1_800_000_000.0


@pytest.mark.usefixtures("sqlite_db")
def test_a_fixed_window_allows_the_limit_then_refuses_until_it_closes() -> None:
    """Three hits pass, the fourth is refused with the seconds left, the next window passes."""
    rule = ratelimit.Rule("login_address", 3, 60)
    for _ in range(3):
        assert ratelimit.hit([(rule, "203.0.113.9")], now=NOW) is None
    refusal = ratelimit.hit([(rule, "203.0.113.9")], now=NOW + 10)
    assert refusal is not None and refusal.rule == rule and refusal.first
    assert refusal.retry_after == rule.window(NOW) + 60 - int(NOW + 10)
    again = ratelimit.hit([(rule, "203.0.113.9")], now=NOW + 11)
    assert again is not None and not again.first
    assert ratelimit.hit([(rule, "203.0.113.9")], now=rule.window(NOW) + 60) is None


@pytest.mark.usefixtures("sqlite_db")
def test_subjects_and_rules_count_apart() -> None:
    """One address's hits do not spend another's, nor another rule's."""
    login = ratelimit.Rule("login_address", 1, 60)
    register = ratelimit.Rule("register_address", 1, 60)
    assert ratelimit.hit([(login, "198.51.100.1")], now=NOW) is None
    assert ratelimit.hit([(login, "198.51.100.2")], now=NOW) is None
    assert ratelimit.hit([(register, "198.51.100.1")], now=NOW) is None
    assert ratelimit.hit([(login, "198.51.100.1")], now=NOW) is not None


@pytest.mark.usefixtures("sqlite_db")
def test_counters_hold_no_subject_in_clear_and_are_purged() -> None:
    """Stored keys are digests, and closed windows are deleted by a purge."""
    rule = ratelimit.Rule("login_failures", 5, 60)
    ratelimit.hit([(rule, ("alice", "192.0.2.7"))], now=NOW)
    keys = [row.key for row in ratelimit.RateCounter.select()]
    assert keys and all("alice" not in k and "192.0.2.7" not in k for k in keys)
    assert ratelimit.count(rule, ("alice", "192.0.2.7"), now=NOW) == 1
    assert ratelimit.purge(now=NOW + 61) == 1
    assert ratelimit.RateCounter.select().count() == 0


@pytest.mark.usefixtures("sqlite_db")
def test_a_disabled_rule_counts_nothing() -> None:
    """A limit of zero turns the rule off and writes no row."""
    rule = ratelimit.Rule.parse("bets_user", "0/10")
    assert not rule.enabled
    assert ratelimit.hit([(rule, 7)] * 5, now=NOW) is None
    assert ratelimit.RateCounter.select().count() == 0


@pytest.mark.usefixtures("sqlite_db")
def test_known_addresses_are_remembered_per_user_and_expire() -> None:
    """An address counts as known for the user who logged in from it, for 90 days."""
    ratelimit.remember_address(7, "192.0.2.1", now=NOW)
    assert ratelimit.is_known_address(7, "192.0.2.1", now=NOW + 1)
    assert not ratelimit.is_known_address(8, "192.0.2.1", now=NOW + 1)
    assert not ratelimit.is_known_address(7, "192.0.2.2", now=NOW + 1)
    later = NOW + ratelimit.KNOWN_ADDRESS_SECONDS + 1
    assert not ratelimit.is_known_address(7, "192.0.2.1", now=later)


@pytest.mark.parametrize("text", ["ten/60", "5/0", "-1/60", "5/x"])
def test_malformed_limits_are_refused_at_start(text: str) -> None:
    """A rate limit setting that is not N/SECONDS stops the service from starting."""
    with pytest.raises(ValueError, match="rate limit"):
        ratelimit.Rule.parse("login_address", text)


TRUSTED = security.parse_networks("127.0.0.1,::1,10.0.0.0/8")


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("10.1.2.3", "2001:db8::1", "2001:db8::1"),
        ("::1", "203.0.113.5", "203.0.113.5"),
        # A direct client cannot choose its address by writing the header.
        ("198.51.100.7", "127.0.0.1", "198.51.100.7"),
        # Garbage from a trusted proxy falls back to the proxy itself.
        ("127.0.0.1", "not an address", "127.0.0.1"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.5, 10.0.0.1", "127.0.0.1"),
    ],
)
def test_x_real_ip_is_trusted_only_from_configured_proxies(
    peer: str, header: str | None, expected: str
) -> None:
    """The client address is X-Real-IP from a trusted proxy, else the peer."""
    assert security.client_address(peer, header, TRUSTED) == expected


def test_exempt_addresses_match_networks() -> None:
    """Addresses inside a listed network are exempt; others and garbage are not."""
    exempt = security.parse_networks("127.0.0.1,::1")
    assert security.is_within("127.0.0.1", exempt)
    assert security.is_within("::1", exempt)
    assert not security.is_within("203.0.113.5", exempt)
    assert not security.is_within("", exempt)
    assert isinstance(exempt[0], ipaddress.IPv4Network)


POLICY = security.OriginPolicy.build("127.0.0.1", 8000, "https://odds.example")


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://127.0.0.1:8000", "oddsmith_relay", True),
        ("http://localhost:8000", None, True),
        ("HTTP://LOCALHOST:8000/", None, True),
        ("https://odds.example", None, True),
        ("https://odds.example:443", None, True),
        # Same origin: the page came from the address the socket was opened to.
        ("http://10.0.0.5:8000", "10.0.0.5:8000", True),
        (None, None, True),
        ("http://evil.example", "127.0.0.1:8000", False),
        ("http://127.0.0.1:8001", None, False),
        ("https://127.0.0.1:8000", None, False),
        ("null", None, False),
        ("http://127.0.0.1:8000.evil.example", None, False),
        ("https://odds.example.evil", None, False),
        ("file://", None, False),
        ("http://127.0.0.1:8000/path", None, False),
    ],
)
def test_websocket_origins_follow_the_allow_list(
    origin: str | None, host: str | None, allowed: bool
) -> None:
    """Own origin, same origin and configured ones pass; any other page is refused."""
    assert POLICY.allows(origin, host) is allowed


def test_the_message_bucket_allows_bursts_then_the_rate() -> None:
    """A bucket of 3 at 1/s lets 3 through, refuses the 4th, refills with time."""
    bucket = security.TokenBucket(rate=1.0, burst=3)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(100.5) is False
    assert bucket.take(101.1) is True
    assert bucket.take(101.2) is False
