"""The authentication service: register, log in, refresh, log out.

It is the only process holding the token signing key. Login is slowed per
name: after a few failures from one address that address must wait, and when a
name fails from many addresses only addresses that logged in to it before may
keep trying, so an attacker can neither guess quickly nor lock the owner out.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

import falcon
import zmq

from api import schemas
from api.common import Throttled, authenticate, create_app, read_body, send_json
from oddsmith import (
    accounts,
    db,
    errors,
    logs,
    protocol,
    ratelimit,
    security,
    tokens,
)
from oddsmith.config import Settings, load_settings

log = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.signer = tokens.Signer(
            settings.secrets_path, settings.token_issuer, settings.token_audience
        )
        self.verifier = tokens.Verifier(
            settings.secrets_path, settings.token_issuer, settings.token_audience
        )
        rules = ratelimit.rules(settings)
        self.failures_here = rules["login_failures"]
        self.failures_anywhere = rules["login_failures_account"]
        self.exempt = security.parse_networks(settings.rate_exempt_addresses)
        # Connect now: a PUB socket drops what it sends before the broker's
        # subscription reaches it, and the first logout must not be lost.
        self._publisher: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.PUB)
        self._publisher.setsockopt(zmq.LINGER, 500)
        self._publisher.connect(settings.broker_publish_in)

    def issue(self, user: db.User, session_id: str) -> dict[str, object]:
        """Mint a token pair for a session and remember the refresh token's id."""
        access, _ = self.signer.mint(
            user_id=user.id,
            session_id=session_id,
            role=user.role,
            kind=tokens.ACCESS,
            lifetime=self.settings.access_token_seconds,
        )
        refresh, refresh_id = self.signer.mint(
            user_id=user.id,
            session_id=session_id,
            role=user.role,
            kind=tokens.REFRESH,
            lifetime=self.settings.refresh_token_seconds,
        )
        db.Session.update(refresh_jti=refresh_id).where(
            db.Session.id == session_id
        ).execute()
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.settings.access_token_seconds,
        }

    def announce_revoked(self, session_id: str) -> None:
        """Tell every relay to close the session's sockets."""
        self._publisher.send_multipart(
            [protocol.SESSION_TOPIC, protocol.encode({"session_id": session_id})]
        )

    def check_login_allowed(self, username: str, address: str) -> None:
        """Refuse a login attempt before its hash is computed, when throttled.

        Every check here is the same for a name with an account and a name
        without one, so a refusal tells nothing about which it is.
        """
        if security.is_within(address, self.exempt):
            return
        here, anywhere = self.failures_here, self.failures_anywhere
        # Counted case-blind: MariaDB finds "Alice" for "alice" anyway.
        name = username.lower()
        if here.enabled and ratelimit.count(here, (name, address)) >= here.limit:
            raise Throttled(
                "Too many failed logins for this name from your address.",
                here.retry_after(time.time()),
            )
        if anywhere.enabled and ratelimit.count(anywhere, name) >= anywhere.limit:
            user = accounts.find_user(username)
            if user is None or not ratelimit.is_known_address(user.id, address):
                raise Throttled(
                    "Too many failed logins for this name; try again later.",
                    anywhere.retry_after(time.time()),
                )

    def count_failure(self, username: str, address: str) -> None:
        if security.is_within(address, self.exempt):
            return
        name = username.lower()
        ratelimit.hit(
            [
                (self.failures_here, (name, address)),
                (self.failures_anywhere, name),
            ]
        )


class Register:
    """Create an account.

    A taken name is answered 409 username_taken: without a second channel
    such as e-mail there is no other way to tell a person to pick another
    name, and names are public handles, not secrets. Probing names this way
    is bounded by the per-address registration limit (docs/security.md).
    """

    def __init__(self, service: Service) -> None:
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, schemas.Register)
        try:
            user = accounts.create_user(body.username, body.password)
        except errors.UsernameTaken:
            security.record_event(
                "register_taken",
                target=f"name:{body.username}",
                detail=f"from {req.context.client}",
            )
            raise
        security.record_event(
            "register", actor=user.id, detail=f"from {req.context.client}"
        )
        log.info("registered user %s", user.id)
        send_json(resp, accounts.public_user(user), 201)


class Login:
    def __init__(self, service: Service) -> None:
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, schemas.Login)
        address: str = req.context.client
        try:
            self.service.check_login_allowed(body.username, address)
        except Throttled:
            security.record_event(
                "login_throttled", target=f"name:{body.username}", detail=address
            )
            raise
        try:
            user = accounts.check_password(body.username, body.password)
        except errors.InvalidCredentials:
            self.service.count_failure(body.username, address)
            security.record_event(
                "login_failed", target=f"name:{body.username}", detail=address
            )
            raise
        ratelimit.remember_address(user.id, address)
        session_id = str(uuid.uuid4())
        expires = db.utcnow() + dt.timedelta(
            seconds=self.service.settings.refresh_token_seconds
        )
        db.Session.create(id=session_id, user=user, refresh_jti="", expires_at=expires)
        security.record_event(
            "login", actor=user.id, target=f"session:{session_id}", detail=address
        )
        send_json(resp, self.service.issue(user, session_id))


class RefreshTokens:
    def __init__(self, service: Service) -> None:
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, schemas.Refresh)
        claims = self.service.verifier.verify(body.refresh_token, kind=tokens.REFRESH)
        with db.write_transaction():
            session = db.Session.get_or_none(db.Session.id == claims.session_id)
            if (
                session is None
                or session.revoked
                or session.user_id != claims.user_id
                or session.expires_at < db.utcnow()
            ):
                raise errors.Unauthorized("The session has ended; log in again.")
            if session.refresh_jti != claims.token_id:
                # A refresh token used twice was stolen or replayed: end the
                # whole family so neither holder keeps access.
                session.revoked = True
                session.save(only=[db.Session.revoked])
                reused = True
            else:
                reused = False
                # Rotate inside the transaction so two concurrent refreshes
                # with the same token cannot both succeed. A random id that no
                # token carries fits the column (36) on MariaDB, which refuses
                # longer values rather than cut them.
                session.refresh_jti = str(uuid.uuid4())
                session.save(only=[db.Session.refresh_jti])
        if reused:
            log.warning("refresh token reuse; session %s revoked", session.id)
            security.record_event(
                "refresh_reused",
                actor=claims.user_id,
                target=f"session:{session.id}",
                detail=f"family revoked; from {req.context.client}",
            )
            self.service.announce_revoked(session.id)
            raise errors.Unauthorized(
                "The refresh token was already used; log in again."
            )
        send_json(resp, self.service.issue(session.user, session.id))


class Logout:
    def __init__(self, service: Service) -> None:
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user, claims = authenticate(req, self.service.verifier)
        db.Session.update(revoked=True).where(
            db.Session.id == claims.session_id
        ).execute()
        self.service.announce_revoked(claims.session_id)
        security.record_event(
            "logout", actor=user.id, target=f"session:{claims.session_id}"
        )
        resp.status = falcon.HTTP_204


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        db.User.select().limit(1).count()
        send_json(resp, {"status": "ok"})


def make_app(settings: Settings | None = None) -> falcon.App:
    """Build the authentication app (gunicorn: ``api.auth:make_app()``)."""
    settings = settings or load_settings()
    logs.configure("auth", settings.log_level, settings.log_format)
    accounts.configure(
        settings.password_memory_kib,
        settings.password_time_cost,
        settings.password_parallelism,
    )
    db.open_database(settings.database_url)
    service = Service(settings)
    app = create_app(settings)
    app.add_route("/api/auth/register", Register(service))
    app.add_route("/api/auth/login", Login(service))
    app.add_route("/api/auth/refresh", RefreshTokens(service))
    app.add_route("/api/auth/logout", Logout(service))
    app.add_route("/api/auth/health", Health())
    return app
