"""What both HTTP services share: JSON in and out, errors, identity.

Domain errors become RFC 9457 problem documents here and nowhere else.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any, TypeVar

import falcon
import msgspec

from oddsmith import db, errors
from oddsmith.config import Settings
from oddsmith.tokens import Claims, Verifier

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BODY_BYTES = 16 * 1024
PROBLEM_JSON = "application/problem+json"

_encoder = msgspec.json.Encoder()


def send_json(resp: falcon.Response, body: Any, status: int = 200) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = _encoder.encode(body)


def read_body(req: falcon.Request, schema: type[T]) -> T:
    """Decode the JSON body into ``schema`` or raise InvalidRequest."""
    length = req.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise errors.InvalidRequest("The request body is too large.")
    raw = req.bounded_stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise errors.InvalidRequest("The request body is too large.")
    try:
        return msgspec.json.decode(raw or b"null", type=schema)
    except msgspec.ValidationError as exc:
        raise errors.InvalidRequest(str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise errors.InvalidRequest("The request body is not valid JSON.") from exc


def _oddsmith_error(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    assert isinstance(exc, errors.OddsmithError)
    send_json(resp, exc.to_problem(), exc.status)
    resp.content_type = PROBLEM_JSON
    if exc.status == 401:
        resp.set_header("WWW-Authenticate", "Bearer")


def _http_error(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    assert isinstance(exc, falcon.HTTPError)
    code = {404: "not_found", 405: "method_not_allowed", 413: "invalid_request"}.get(
        exc.status_code, "invalid_request" if exc.status_code < 500 else "internal"
    )
    problem = {
        "type": "about:blank",
        "title": exc.title,
        "status": exc.status_code,
        "code": code,
        "detail": exc.description or exc.title,
    }
    send_json(resp, problem, exc.status_code)
    resp.content_type = PROBLEM_JSON
    for name, value in (exc.headers or {}).items():
        resp.set_header(name, value)


def _unexpected(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    log.error("unhandled error on %s %s", req.method, req.path, exc_info=exc)
    send_json(
        resp,
        {
            "type": "about:blank",
            "title": "Internal error",
            "status": 500,
            "code": "internal",
            "detail": "The server failed; the request id is " + req.context.request_id,
        },
        500,
    )
    resp.content_type = PROBLEM_JSON


def _database_down(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    log.warning("database unavailable on %s %s: %s", req.method, req.path, exc)
    _oddsmith_error(
        req, resp, errors.Unavailable("The database is unavailable."), params
    )


class RequestContext:
    """Bind a request id, keep the database connection open, log one line."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        supplied = req.get_header("X-Request-Id") or ""
        req.context.request_id = (
            supplied[:64] if supplied.isascii() and supplied else uuid.uuid4().hex
        )
        req.context.started = time.perf_counter()
        db.database.connect(reuse_if_open=True)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, succeeded: bool
    ) -> None:
        resp.set_header("X-Request-Id", req.context.request_id)
        resp.set_header("Cache-Control", "no-store")
        elapsed = (time.perf_counter() - req.context.started) * 1000
        log.info(
            "%s %s %s %.1fms request_id=%s",
            req.method,
            req.path,
            resp.status[:3] if isinstance(resp.status, str) else resp.status,
            elapsed,
            req.context.request_id,
        )


def create_app(settings: Settings) -> falcon.App:
    """Return a Falcon app with the shared middleware and error mapping."""
    import peewee

    app = falcon.App(middleware=[RequestContext(settings)], cors_enable=False)
    app.req_options.strip_url_path_trailing_slash = True
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(peewee.OperationalError, _database_down)
    app.add_error_handler(peewee.InterfaceError, _database_down)
    app.add_error_handler(falcon.HTTPError, _http_error)
    app.add_error_handler(errors.OddsmithError, _oddsmith_error)
    return app


def bearer_token(req: falcon.Request) -> str:
    header = req.get_header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise errors.Unauthorized(
            "Send an access token as 'Authorization: Bearer <token>'."
        )
    return token.strip()


def authenticate(req: falcon.Request, verifier: Verifier) -> tuple[db.User, Claims]:
    """Return the caller's user and claims; the session must still be live."""
    claims = verifier.verify(bearer_token(req))
    row = (
        db.Session.select(db.Session, db.User)
        .join(db.User)
        .where(db.Session.id == claims.session_id)
        .first()
    )
    if row is None or row.revoked or row.user.id != claims.user_id:
        raise errors.Unauthorized("The session has ended; log in again.")
    return row.user, claims


def require_admin(user: db.User) -> None:
    # The role comes from the database, never from anything the client sent.
    if user.role != "admin":
        raise errors.Forbidden("This needs an administrator.")


def audit(
    actor: db.User | None, action: str, target: str = "", detail: str = ""
) -> None:
    db.AuditLog.create(actor=actor, action=action, target=target, detail=detail[:2000])
