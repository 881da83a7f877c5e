"""Read the environment into one typed settings object.

This is the only module that reads ``os.environ``. Every process builds a
:class:`Settings` once at start and passes it down.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

PREFIX = "ODDSMITH_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every knob of the platform; each field is set by ``ODDSMITH_<NAME>``."""

    # Where people connect, and where state and generated secrets live.
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = "var"
    # Database URL: empty means the embedded SQLite file in the data directory.
    db: str = ""

    # Bootstrap administrator; a password is generated and printed when unset.
    admin_user: str = "admin"
    admin_password: str = ""

    # ZeroMQ endpoints of the broker: requests in, updates in (from workers),
    # updates out (to relays).
    broker_bind: str = "tcp://127.0.0.1:5555"
    broker_publish_in: str = "tcp://127.0.0.1:5556"
    broker_publish_out: str = "tcp://127.0.0.1:5557"
    # How the broker finds workers: "zeroconf", "static" or "both".
    discovery: str = "both"
    # Static worker list, "name=tcp://host:port,..."; used when multicast is off.
    workers: str = ""
    # Address a worker binds and announces; port 0 picks a free one.
    worker_bind: str = "tcp://127.0.0.1:0"
    worker_name: str = ""
    zeroconf_interfaces: str = "127.0.0.1"

    # Processes started by `oddsmith up`.
    worker_count: int = 2
    api_instances: int = 1
    relay_instances: int = 1
    gunicorn_workers: int = 2
    gunicorn_threads: int = 8
    internal_port_base: int = 8100

    # Ownership of events by workers.
    lease_seconds: float = 3.0
    # How long the API waits for a worker before answering 503.
    request_timeout: float = 8.0

    # Tokens.
    token_issuer: str = "oddsmith"
    token_audience: str = "oddsmith"
    access_token_seconds: int = 600
    refresh_token_seconds: int = 14 * 24 * 3600

    # Where the token keys live; empty means <data_dir>/secrets. Production
    # points it at a directory provisioned apart from the data; game hosts
    # need only its public/ subdirectory.
    secrets_dir: str = ""
    # argon2id cost; anything below OWASP's minimum (19 MiB, 2 passes, 1 lane)
    # is refused at start. Raising it rehashes each password at its next login.
    password_memory_kib: int = 19 * 1024
    password_time_cost: int = 2
    password_parallelism: int = 1
    # Peers whose X-Real-IP header names the client (addresses or networks).
    trusted_proxies: str = "127.0.0.1,::1"
    # Origins allowed besides the platform's own: for /ws, and for CORS (which
    # stays closed when empty). Comma separated, e.g. "https://odds.example".
    ws_origins: str = ""
    cors_origins: str = ""
    # WebSocket clients: silence before a socket is closed, and message rate.
    ws_idle_seconds: float = 300.0
    ws_messages_per_second: float = 10.0
    ws_message_burst: int = 40
    # Odds updates of one event reach a client at most once per interval; the
    # latest snapshot wins. 0 sends every update.
    ws_conflate_ms: int = 100
    # A client with more unsent bytes than this is dropped, not waited for.
    ws_slow_client_bytes: int = 1024 * 1024
    # Client addresses no rate limit applies to. Loopback by default: a local
    # client already holds the machine, and tests and load runs come from it.
    # Empty it when a proxy on this machine forwards every client to nginx.
    rate_exempt_addresses: str = "127.0.0.1,::1"
    # Rate limits as "<requests>/<seconds>"; a count of 0 turns one off.
    rate_login_address: str = "30/60"
    # Failed logins for one name from one address, then for one name from
    # anywhere (past that only addresses that logged in before may try).
    rate_login_failures: str = "5/900"
    rate_login_failures_account: str = "50/3600"
    rate_register_address: str = "10/60"
    rate_refresh_address: str = "120/60"
    rate_bets_user: str = "30/10"
    rate_bets_address: str = "600/60"

    # League files imported by `oddsmith up` on first start (comma separated).
    fixtures: str = "2025-26_en.1"
    log_level: str = "INFO"
    # "text" (one readable line per record) or "json" (one object per line).
    log_format: str = "text"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def database_url(self) -> str:
        return self.db or f"sqlite:///{self.data_path / 'oddsmith.db'}"

    @property
    def secrets_path(self) -> Path:
        if self.secrets_dir:
            return Path(self.secrets_dir).resolve()
        return self.data_path / "secrets"


def load_settings(
    environ: dict[str, str] | None = None, **overrides: object
) -> Settings:
    """Build settings from ``ODDSMITH_*`` variables, then apply ``overrides``."""
    source = os.environ if environ is None else environ
    values: dict[str, object] = {
        key[len(PREFIX) :].lower(): value
        for key, value in source.items()
        if key.startswith(PREFIX)
    }
    values.update(overrides)
    known = set(Settings.__struct_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        names = ", ".join(PREFIX + name.upper() for name in unknown)
        raise ValueError(f"unknown settings: {names}")
    return msgspec.convert(values, Settings, strict=False)


def child_environment(settings: Settings) -> dict[str, str]:
    """Return an environment that hands ``settings`` to a child process."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(PREFIX)
    }
    for name in Settings.__struct_fields__:
        env[PREFIX + name.upper()] = str(getattr(settings, name))
    return env
