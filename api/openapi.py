"""The OpenAPI document of both services, built from the request schemas."""

from __future__ import annotations

from typing import Any

import falcon
import msgspec

from api import schemas
from api.common import send_json

# path -> method -> (summary, request body schema, needs a token, success status)
Operation = tuple[str, type[schemas.Schema] | None, bool, int]
PATHS: dict[str, dict[str, Operation]] = {
    "/api/auth/register": {"post": ("Create an account", schemas.Register, False, 201)},
    "/api/auth/login": {
        "post": ("Log in and receive tokens", schemas.Login, False, 200)
    },
    "/api/auth/refresh": {
        "post": ("Rotate the token pair", schemas.Refresh, False, 200)
    },
    "/api/auth/logout": {"post": ("End the session", None, True, 204)},
    "/api/auth/health": {"get": ("Authentication service health", None, False, 200)},
    "/api/events": {"get": ("List events with live odds", None, False, 200)},
    "/api/events/{event_id}": {"get": ("One event with live odds", None, False, 200)},
    "/api/roulette/tables": {
        "get": ("Roulette tables and recent pockets", None, False, 200)
    },
    "/api/bets": {"post": ("Place a bet", schemas.PlaceBet, True, 201)},
    "/api/me": {"get": ("The caller's account and balance", None, True, 200)},
    "/api/me/bets": {"get": ("The caller's bets", None, True, 200)},
    "/api/me/ledger": {"get": ("The caller's statement", None, True, 200)},
    "/api/admin/events": {
        "post": ("Create a football event", schemas.CreateEvent, True, 201)
    },
    "/api/admin/events/{event_id}/settle": {
        "post": ("Settle an event with its outcome", schemas.Settle, True, 200)
    },
    "/api/admin/events/{event_id}/correct": {
        "post": ("Correct a settled outcome", schemas.Correct, True, 200)
    },
    "/api/admin/events/{event_id}/exposure": {
        "get": ("Liability and house result per outcome", None, True, 200)
    },
    "/api/admin/events/{event_id}/{action}": {
        "post": ("Suspend, resume, close or void an event", None, True, 200)
    },
    "/api/admin/house": {"get": ("House result per event", None, True, 200)},
    "/api/admin/fixtures": {"get": ("Bundled league files", None, True, 200)},
    "/api/admin/fixtures/import": {
        "post": ("Import a league file", schemas.ImportFixtures, True, 200)
    },
    "/api/admin/roulette/tables": {
        "post": ("Open a roulette table", schemas.CreateTable, True, 201)
    },
    "/api/admin/roulette/tables/{table_id}/stop": {
        "post": ("Stop a table after its current spin", None, True, 200)
    },
    "/api/admin/users": {"get": ("Find users by name", None, True, 200)},
    "/api/admin/users/{user_id}/balance": {
        "put": ("Set a user's balance with a reason", schemas.SetBalance, True, 200)
    },
    "/api/health": {"get": ("Game service health", None, False, 200)},
    "/api/ready": {"get": ("Game service readiness", None, False, 200)},
    "/api/openapi.json": {"get": ("This document", None, False, 200)},
}

_PROBLEM = {
    "description": "Refused: an RFC 9457 problem document with a stable code",
    "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    },
}


# Ids above this cannot exist; api.common answers 404 for them.
MAX_ID = 2**53
# Routes guarded by a rate limit (api.common.ROUTE_LIMITS) also answer 429.
_RATE_LIMITED = {
    "/api/auth/login",
    "/api/auth/register",
    "/api/auth/refresh",
    "/api/bets",
}


def _query_parameters(path: str) -> list[dict[str, Any]]:
    """Describe the query string a route accepts, from its schema."""
    schema = schemas.QUERIES.get(path)
    if schema is None:
        return []
    described = msgspec.json.schema(schema)
    properties = described.get("properties") or next(
        iter(described.get("$defs", {}).values())
    ).get("properties", {})
    parameters = []
    for name, prop in properties.items():
        # A query value is never null: an absent parameter is the null case.
        options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
        value = dict(options[0])
        value.pop("default", None)
        parameters.append(
            {"name": name, "in": "query", "required": False, "schema": value}
        )
    return parameters


def build() -> dict[str, Any]:
    bodies = sorted(
        {op[1] for ops in PATHS.values() for op in ops.values() if op[1] is not None},
        key=lambda s: s.__name__,
    )
    _, components = msgspec.json.schema_components(
        bodies, ref_template="#/components/schemas/{name}"
    )
    components["Problem"] = {
        "type": "object",
        "required": ["type", "title", "status", "code", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "code": {"type": "string"},
            "detail": {"type": "string"},
            "current": {"type": "object"},
        },
    }
    paths: dict[str, Any] = {}
    for path, operations in PATHS.items():
        item: dict[str, Any] = {}
        parameters = [
            {
                "name": part[1:-1],
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            }
            if part != "{action}"
            else {
                "name": "action",
                "in": "path",
                "required": True,
                "schema": {
                    "type": "string",
                    "enum": ["suspend", "resume", "close", "void"],
                },
            }
            for part in path.split("/")
            if part.startswith("{")
        ]
        for method, (summary, body, auth, status) in operations.items():
            op: dict[str, Any] = {
                "summary": summary,
                "responses": {str(status): {"description": "Success"}, "4XX": _PROBLEM},
            }
            if parameters or _query_parameters(path):
                op["parameters"] = parameters + _query_parameters(path)
            if path in _RATE_LIMITED:
                op["responses"]["429"] = _PROBLEM
            if path == "/api/bets":
                op["parameters"] = [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "minLength": 8,
                            "maxLength": 64,
                            "pattern": "^[ -~]+$",
                        },
                    }
                ]
            if body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{body.__name__}"}
                        }
                    },
                }
            if auth:
                op["security"] = [{"bearer": []}]
            item[method] = op
        paths[path] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Oddsmith", "version": "0.1.0"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


class Document:
    def __init__(self) -> None:
        self.document = build()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send_json(resp, self.document)
