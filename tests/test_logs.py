"""Log lines: JSON on request, with the request id as a field."""

from __future__ import annotations

import json
import logging

import pytest

from oddsmith import logs


def test_json_lines_carry_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    """With the json format a record is one JSON object naming its component and request."""
    logs.configure("worker w1", "INFO", "json")
    logging.getLogger("workers.desk").info(
        "bet %s accepted", 7, extra={"request_id": "r-1"}
    )
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert record["message"] == "bet 7 accepted"
    assert record["request_id"] == "r-1"
    assert record["component"] == "worker w1"
    assert record["level"] == "INFO"


def test_text_lines_name_the_component(capsys: pytest.CaptureFixture[str]) -> None:
    """The text format is one readable line with the process's role."""
    logs.configure("broker", "INFO", "text")
    logging.getLogger("broker.broker").warning("worker %s left", "w2")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.endswith("WARNING broker broker.broker: worker w2 left")
