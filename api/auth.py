"""The authentication service: register, log in, refresh, log out.

It is the only process holding the token signing key.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import falcon
import zmq

from api import schemas
from api.common import authenticate, create_app, read_body, send_json
from oddsmith import accounts, db, errors, protocol, tokens
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
        self._publisher: zmq.Socket[bytes] | None = None

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
        if self._publisher is None:
            self._publisher = zmq.Context.instance().socket(zmq.PUB)
            self._publisher.setsockopt(zmq.LINGER, 500)
            self._publisher.connect(self.settings.broker_publish_in)
        self._publisher.send_multipart(
            [protocol.SESSION_TOPIC, protocol.encode({"session_id": session_id})]
        )


class Register:
    def __init__(self, service: Service) -> None:
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, schemas.Register)
        user = accounts.create_user(body.username, body.password)
        log.info("registered user %s", user.id)
        send_json(resp, accounts.public_user(user), 201)


class Login:
    def __init__(self, service: Service) -> None:
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, schemas.Login)
        user = accounts.check_password(body.username, body.password)
        session_id = str(uuid.uuid4())
        expires = db.utcnow() + dt.timedelta(
            seconds=self.service.settings.refresh_token_seconds
        )
        db.Session.create(id=session_id, user=user, refresh_jti="", expires_at=expires)
        send_json(resp, self.service.issue(user, session_id))


class RefreshTokens:
    def __init__(self, service: Service) -> None:
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, schemas.Refresh)
        claims = self.service.verifier.verify(body.refresh_token, kind=tokens.REFRESH)
        with db.write_transaction():
            session = db.Session.get_or_none(db.Session.id == claims.session_id)
            if session is None or session.revoked:
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
                # with the same token cannot both succeed.
                session.refresh_jti = "rotating:" + str(uuid.uuid4())
                session.save(only=[db.Session.refresh_jti])
        if reused:
            log.warning("refresh token reuse; session %s revoked", session.id)
            self.service.announce_revoked(session.id)
            raise errors.Unauthorized(
                "The refresh token was already used; log in again."
            )
        send_json(resp, self.service.issue(session.user, session.id))


class Logout:
    def __init__(self, service: Service) -> None:
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, claims = authenticate(req, self.service.verifier)
        db.Session.update(revoked=True).where(
            db.Session.id == claims.session_id
        ).execute()
        self.service.announce_revoked(claims.session_id)
        resp.status = falcon.HTTP_204


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        db.User.select().limit(1).count()
        send_json(resp, {"status": "ok"})


def make_app(settings: Settings | None = None) -> falcon.App:
    """Build the authentication app (gunicorn: ``api.auth:make_app()``)."""
    settings = settings or load_settings()
    db.open_database(settings.database_url)
    service = Service(settings)
    app = create_app(settings)
    app.add_route("/api/auth/register", Register(service))
    app.add_route("/api/auth/login", Login(service))
    app.add_route("/api/auth/refresh", RefreshTokens(service))
    app.add_route("/api/auth/logout", Logout(service))
    app.add_route("/api/auth/health", Health())
    return app
