"""Property-based fuzzing of the HTTP API from the OpenAPI document it serves.

Schemathesis reads /api/openapi.json from a running platform and sends valid
and invalid requests to every operation, as an administrator, with a bounded
budget per operation. The property: no answer is a 5xx.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api import openapi
from tests.harness import Platform
from tests.security.conftest import start_platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# Examples per operation and mode: about a minute a database for the module.
EXAMPLES = 25
VALID = schemathesis.GenerationMode.POSITIVE
INVALID = schemathesis.GenerationMode.NEGATIVE


def _cases() -> list[Any]:
    """Every operation with valid requests; with invalid ones where it has inputs."""
    cases = []
    for path, operations in openapi.build()["paths"].items():
        for method, operation in operations.items():
            cases.append(
                pytest.param(path, method.upper(), VALID, id=f"{method} {path} valid")
            )
            # An operation without parameters, body or token has nothing to get wrong.
            if {"parameters", "requestBody", "security"} & set(operation):
                cases.append(
                    pytest.param(
                        path, method.upper(), INVALID, id=f"{method} {path} invalid"
                    )
                )
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, module_platform_kind: str
) -> Iterator[Platform]:
    """Run one platform with a few events and users for the fuzzer to find."""
    for started in start_platform(tmp_path_factory, module_platform_kind):
        admin = started.admin_token()
        for i in range(3):
            started.call(
                "POST",
                "/api/admin/events",
                admin,
                {
                    "home": f"Fuzz {i}",
                    "away": f"Target {i}",
                    "starts_at": (
                        dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
                    ).isoformat(),
                },
            )
            started.register(f"fuzzed{i}")
        yield started


@pytest.fixture(scope="module")
def admin(platform: Platform) -> str:
    return platform.admin_token()


@pytest.fixture(scope="module")
def served(platform: Platform) -> Any:
    """Load the document the platform serves, as a client would."""
    return schemathesis.openapi.from_url(platform.url + "/api/openapi.json")


def test_the_served_document_describes_every_route(platform: Platform) -> None:
    """The platform serves the document api.openapi builds, for every operation."""
    document = platform.call("GET", "/api/openapi.json").json()
    assert document == openapi.build()
    assert len(CASES) >= 45


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_no_request_makes_the_api_fail(
    platform: Platform,
    admin: str,
    served: Any,
    path: str,
    method: str,
    mode: schemathesis.GenerationMode,
) -> None:
    """Requests generated from the document, valid or not, never get a 5xx."""
    operation = served[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        headers = {}
        if "Authorization" not in (case.headers or {}):
            # Logging out would end the session every other case relies on.
            token = platform.admin_token() if path == "/api/auth/logout" else admin
            headers["Authorization"] = f"Bearer {token}"
        response = case.call(base_url=platform.url, headers=headers, timeout=30)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: "
            f"{response.text[:500]}"
        )

    fuzz()
