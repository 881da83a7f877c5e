"""Fixtures shared by the tests: databases and a running platform."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

MYSQL_URL = os.environ.get("MYSQL_TEST_URL", "mysql://root@127.0.0.1:3306/test")
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def mysql_url_or_skip() -> str:
    """Return a clean MariaDB database URL; on CI a missing server is a failure."""
    from oddsmith import db, ratelimit

    try:
        database = db.open_database(MYSQL_URL, create=False)
        db.drop_all(database)
        database.drop_tables(ratelimit.MODELS, safe=True)
        database.close()
    except Exception as exc:
        if ON_CI:
            pytest.fail(f"MariaDB must be reachable on CI at {MYSQL_URL}: {exc}")
        pytest.skip(f"no MariaDB at {MYSQL_URL}: {exc}")
    return MYSQL_URL


@pytest.fixture(params=["sqlite", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield an empty database of each supported kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'oddsmith.db'}"
    else:
        request.applymarker(pytest.mark.mariadb)
        yield mysql_url_or_skip()
