"""The platform benchmark runs to its end; its numbers are not judged here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

# The first words of every row, as bench/platform.py prints them: renaming or
# dropping a row fails here on purpose, since docs/performance.md quotes them.
ROWS = (
    "accepted bets per second",
    "bet latency p50 (open loop)",
    "bet latency p99 (open loop)",
    "database fsyncs per accepted bet",
    "database commits per accepted bet",
    "one update to every WebSocket client",
    "WebSocket connections held by one relay",
    "relay memory per WebSocket connection",
    "CPU per accepted bet: nginx",
    "CPU per accepted bet: game API",
    "CPU per accepted bet: broker",
    "CPU per accepted bet: workers",
    "CPU per accepted bet: relay",
    "CPU per accepted bet: database",
)


def test_quick_benchmark_prints_every_row() -> None:
    """`bench/run --quick` on SQLite finishes, prints each row, loses no bet."""
    done = subprocess.run(
        [str(ROOT / "bench" / "run"), "--quick"],
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-5000:]

    lines = done.stdout.splitlines()
    table = [line for line in lines if line.startswith("| ")]
    assert table[0].split("|")[-2].strip() == "ratio", table[0]
    for row in ROWS:
        found = [line for line in table if line.startswith(f"| {row}")]
        assert found, f"no row {row!r} in:\n{done.stdout}"
        cells = [cell.strip() for cell in found[0].split("|")[1:-1]]
        assert len(cells) == 4 and cells[1], found[0]
    # Every bet answered 201 must be a row in the database afterwards.
    assert any(
        line.startswith("- durability:") and line.endswith("(match)") for line in lines
    ), done.stdout
