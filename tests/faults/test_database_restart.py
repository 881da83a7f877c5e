"""MariaDB restarted under a stream of bets: 503s while it is away, then recovery."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pymysql
import pytest

from oddsmith import db
from tests.conftest import mysql_url_or_skip
from tests.faults.test_crashes import (
    BetStream,
    audit_passes,
    check_stored_exactly_once,
    create_matches,
    funded_users,
    wait_for,
)
from tests.harness import running

pytestmark = [pytest.mark.slow, pytest.mark.mariadb]

MARIADBD = "/usr/sbin/mariadbd"


def mariadb_answers() -> bool:
    try:
        pymysql.connect(
            host="127.0.0.1", port=3306, user="root", connect_timeout=2
        ).close()
    except pymysql.MySQLError:
        return False
    return True


def start_mariadb() -> None:
    """Start the server the way the machine starts it before a session."""
    subprocess.run(
        [
            "start-stop-daemon",
            "--start",
            "--oknodo",
            "--background",
            "--exec",
            MARIADBD,
        ],
        check=True,
        timeout=30,
    )
    wait_for(mariadb_answers, 60, "MariaDB to come back")


def test_database_restart_under_load(tmp_path: Path) -> None:
    """Bets fail with 503, never 500, while MariaDB restarts, and flow again afterwards with nothing restarted."""
    if shutil.which("mysqladmin") is None or not Path(MARIADBD).exists():
        pytest.skip("needs the local MariaDB server and mysqladmin")
    url = mysql_url_or_skip()
    with running(tmp_path, url, request_timeout="3") as platform:
        admin = platform.admin_token()
        matches = create_matches(platform, admin, 2)
        users = funded_users(platform, admin, 3, 10_000_000)
        stream = BetStream(platform, users, matches)
        try:
            with stream.flowing(2):
                stream.wait_for_more(10, 30, "bets before the restart")
                subprocess.run(
                    ["mysqladmin", "-uroot", "shutdown"], check=True, timeout=60
                )
                wait_for(lambda: not mariadb_answers(), 30, "MariaDB to stop")
                time.sleep(3)
                start_mariadb()
                stream.wait_for_more(10, 60, "bets after the restart")
        finally:
            if not mariadb_answers():
                start_mariadb()
        statuses = set(stream.answers.values())
        assert 500 not in statuses
        assert 503 in statuses, "the outage was never seen"
        db.open_database(url, create=False)
        try:
            check_stored_exactly_once(stream)
        finally:
            db.database.close()
        audit = audit_passes(platform)
        assert audit.returncode == 0, audit.stdout
