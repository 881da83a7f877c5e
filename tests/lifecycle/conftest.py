"""One running platform per database kind, shared by every lifecycle test.

Starting a platform takes several seconds, so the tests of this package share
one on SQLite and one on MariaDB. Each test makes its own events and bettors
(names prefixed by the test) and leaves the ledger balanced.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import mysql_url_or_skip
from tests.harness import Platform, running


@pytest.fixture(
    scope="package",
    params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)],
)
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """Yield a running `oddsmith up` with two workers on an empty database."""
    data_dir = tmp_path_factory.mktemp(f"platform-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'oddsmith.db'}"
    else:
        url = mysql_url_or_skip()
    with running(data_dir, url) as started:
        yield started


@pytest.fixture(scope="package")
def admin(platform: Platform) -> str:
    """Return an access token of the platform's administrator."""
    return platform.admin_token()
