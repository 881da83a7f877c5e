"""What both HTTP services share: JSON in and out, errors, identity, guards.

Domain errors become RFC 9457 problem documents here and nowhere else. The
middleware here runs before every resource: it binds the request id and the
client address, validates the query string and path ids against their schema,
applies the rate limits of the route, and audits administration requests.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from typing import Any, TypeVar

import falcon
import msgspec
import peewee

from api import schemas
from oddsmith import db, errors, ratelimit, security, tokens
from oddsmith.config import Settings
from oddsmith.tokens import Claims, Verifier

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BODY_BYTES = 16 * 1024
# Ids above this cannot exist (the schemas cap them) and would overflow SQLite.
MAX_PATH_ID = 2**53
PROBLEM_JSON = "application/problem+json"

_encoder = msgspec.json.Encoder()


class Throttled(Exception):
    """Raised when a rate limit refuses a request; answered 429 with Retry-After."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


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
    if raw and (req.content_type or "").split(";")[0].strip() != falcon.MEDIA_JSON:
        raise falcon.HTTPUnsupportedMediaType(
            description="Send the body as application/json."
        )
    try:
        return msgspec.json.decode(raw or b"null", type=schema)
    except msgspec.ValidationError as exc:
        raise errors.InvalidRequest(str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise errors.InvalidRequest("The request body is not valid JSON.") from exc
    except RecursionError as exc:
        # Only an untyped part of a schema can nest this deep; refuse it whole.
        raise errors.InvalidRequest("The request body nests too deeply.") from exc


def _problem(resp: falcon.Response, problem: dict[str, Any], status: int) -> None:
    send_json(resp, problem, status)
    resp.content_type = PROBLEM_JSON


def _oddsmith_error(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    assert isinstance(exc, errors.OddsmithError)
    _problem(resp, exc.to_problem(), exc.status)
    if exc.status == 401:
        resp.set_header("WWW-Authenticate", "Bearer")


def _throttled(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    assert isinstance(exc, Throttled)
    _oddsmith_error(req, resp, errors.RateLimited(exc.detail), params)
    resp.set_header("Retry-After", str(exc.retry_after))


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
    _problem(resp, problem, exc.status_code)
    for name, value in (exc.headers or {}).items():
        resp.set_header(name, value)


def _unexpected(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    log.error("unhandled error on %s %s", req.method, req.path, exc_info=exc)
    _problem(
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


def _database_down(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    log.warning("database unavailable on %s %s: %s", req.method, req.path, exc)
    # Drop the connection: it may be dead, and the next request must open a
    # fresh one rather than fail on it until the process restarts.
    with contextlib.suppress(peewee.PeeweeException):
        db.database.close()
    _oddsmith_error(
        req, resp, errors.Unavailable("The database is unavailable."), params
    )


class RequestContext:
    """Bind a request id and the client address, keep the database open, log."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.trusted = security.parse_networks(settings.trusted_proxies)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        supplied = req.get_header("X-Request-Id") or ""
        req.context.request_id = (
            supplied[:64]
            if supplied.isascii() and supplied.isprintable() and supplied
            else uuid.uuid4().hex
        )
        req.context.started = time.perf_counter()
        req.context.client = security.client_address(
            req.remote_addr, req.get_header("X-Real-IP"), self.trusted
        )
        req.context.user = None
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
            resp.status_code,
            elapsed,
            req.context.request_id,
            extra={"request_id": req.context.request_id},
        )


class Validation:
    """Check the query string and the path ids before the resource runs.

    Each route's query schema is in ``schemas.QUERIES``; a route not listed
    there takes no query parameters, so an unexpected one is refused instead
    of silently ignored.
    """

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        if resource is None:
            return
        schema = schemas.QUERIES.get(req.uri_template or "", schemas.NoQuery)
        try:
            req.context.query = msgspec.convert(req.params, schema)
        except msgspec.ValidationError as exc:
            raise errors.InvalidRequest(f"Query string: {exc}") from exc
        for name, value in params.items():
            if isinstance(value, int) and value > MAX_PATH_ID:
                raise errors.NotFound(
                    f"There is no {name.removesuffix('_id')} {value}."
                )


# Which limits guard which route: (rule name, what the rule counts per).
ADDRESS, USER = "address", "user"
ROUTE_LIMITS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("POST", "/api/auth/login"): (("login_address", ADDRESS),),
    ("POST", "/api/auth/register"): (("register_address", ADDRESS),),
    ("POST", "/api/auth/refresh"): (("refresh_address", ADDRESS),),
    ("POST", "/api/bets"): (("bets_user", USER), ("bets_address", ADDRESS)),
}


class RateLimits:
    """Apply each route's rate limits, counted in the shared database.

    Bets are limited here rather than in their resource: the caller's user id
    is read from the access token (its signature checked, the session not);
    a bad token is left for the resource to refuse with 401.
    """

    def __init__(self, settings: Settings, verifier: Verifier) -> None:
        self.rules = ratelimit.rules(settings)
        self.exempt = security.parse_networks(settings.rate_exempt_addresses)
        self.verifier = verifier

    def _user_id(self, req: falcon.Request) -> int | None:
        try:
            return self.verifier.verify(bearer_token(req)).user_id
        except errors.OddsmithError:
            return None

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        limits = ROUTE_LIMITS.get((req.method, req.uri_template or ""))
        if resource is None or not limits:
            return
        if security.is_within(req.context.client, self.exempt):
            return
        checks: list[tuple[ratelimit.Rule, object]] = []
        user_id: int | None = None
        for rule_name, per in limits:
            if per == USER:
                user_id = self._user_id(req)
                if user_id is None:
                    continue
                checks.append((self.rules[rule_name], user_id))
            else:
                checks.append((self.rules[rule_name], req.context.client))
        refusal = ratelimit.hit(checks)
        if refusal is None:
            return
        if refusal.first:
            # One audit line per client and window, however long it hammers.
            security.record_event(
                "rate_limited",
                actor=user_id,
                target=f"{req.method} {req.uri_template}",
                detail=f"rule {refusal.rule.name} from {req.context.client}",
            )
        raise Throttled(
            f"Too many requests; try again in {refusal.retry_after} s.",
            refusal.retry_after,
        )


class AdminAudit:
    """Audit administration requests the resources do not audit themselves.

    Successful changes are audited by the code that makes them, in the same
    transaction. This adds every refused administration request (a security
    event), every change that failed, and every search of the user list (it
    reads personal data). Other reads are not audited: the console reloads
    exposure up to once a second.
    """

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, succeeded: bool
    ) -> None:
        if resource is None or not req.path.startswith("/api/admin/"):
            return
        status = resp.status_code
        user = req.context.user
        actor = user.id if user is not None else None
        target = f"{req.method} {req.path}"
        detail = f"status {status} from {req.context.client}; {req.context.request_id}"
        if status in (401, 403):
            security.record_event(
                "admin_refused", actor=actor, target=target, detail=detail
            )
        elif req.method != "GET" and status >= 400:
            security.record_event(
                "admin_failed", actor=actor, target=target, detail=detail
            )
        elif req.uri_template == "/api/admin/users":
            query = getattr(req.context, "query", None)
            security.record_event(
                "admin_user_search",
                actor=actor,
                target=target,
                detail=f"{getattr(query, 'username', '')!r}; {detail}",
            )


def create_app(settings: Settings) -> falcon.App:
    """Return a Falcon app with the shared middleware and error mapping."""
    ratelimit.create_tables()
    verifier = Verifier(
        settings.secrets_path, settings.token_issuer, settings.token_audience
    )
    middleware: list[Any] = [
        RequestContext(settings),
        RateLimits(settings, verifier),
        Validation(),
        AdminAudit(),
    ]
    cors = security.split_list(settings.cors_origins)
    if cors:
        # Closed unless configured: no Access-Control-* header is ever sent.
        middleware.append(falcon.CORSMiddleware(allow_origins=cors))
    app = falcon.App(middleware=middleware, cors_enable=False)
    app.req_options.strip_url_path_trailing_slash = True
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(peewee.OperationalError, _database_down)
    app.add_error_handler(peewee.InterfaceError, _database_down)
    app.add_error_handler(falcon.HTTPError, _http_error)
    app.add_error_handler(errors.OddsmithError, _oddsmith_error)
    app.add_error_handler(Throttled, _throttled)
    return app


def bearer_token(req: falcon.Request) -> str:
    header = req.get_header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized(
            "Send an access token as 'Authorization: Bearer <token>'."
        )
    return token.strip()


def authenticate(req: falcon.Request, verifier: Verifier) -> tuple[db.User, Claims]:
    """Return the caller's user and claims; the session must still be live."""
    token = bearer_token(req)
    try:
        claims = verifier.verify(token)
    except errors.OddsmithError as exc:
        if not tokens.is_expiry(exc):
            # An expired token is routine; any other refusal is a forgery, a
            # tampered token or a key we pruned, and worth a line in the audit.
            security.record_event(
                "token_refused",
                target=f"{req.method} {req.path}",
                detail=f"{exc.detail} from {req.context.client}",
            )
        raise
    row = (
        db.Session.select(db.Session, db.User)
        .join(db.User)
        .where(db.Session.id == claims.session_id)
        .first()
    )
    if row is None or row.revoked or row.user.id != claims.user_id:
        raise errors.Unauthorized("The session has ended; log in again.")
    req.context.user = row.user
    return row.user, claims


def require_admin(user: db.User) -> None:
    # The role comes from the database, never from anything the client sent.
    if user.role != "admin":
        raise errors.Forbidden("This needs an administrator.")


def audit(
    actor: db.User | None, action: str, target: str = "", detail: str = ""
) -> None:
    db.AuditLog.create(actor=actor, action=action, target=target, detail=detail[:2000])
