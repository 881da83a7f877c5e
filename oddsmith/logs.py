"""Logging for every process: one record per line, the component named.

Levels: DEBUG for detail useful when chasing a bug; INFO for one line per
request, bet, settlement and ownership change; WARNING for a fault the
process recovers from by itself (logged once loudly, then at DEBUG while it
lasts); ERROR for a fault that needs a person.

With ``ODDSMITH_LOG_FORMAT=json`` each line is a JSON object whose fields
include ``request_id`` wherever a request is being served, so one bet can be
followed from nginx through the game API to the worker that committed it.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


class _Component(logging.Filter):
    """Stamp every record with the process's role and a request id field."""

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def filter(self, record: logging.LogRecord) -> bool:
        record.component = self.component
        if not hasattr(record, "request_id"):
            record.request_id = ""
        return True


def configure(component: str, level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Component(component))
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(component)s %(name)s %(message)s "
                "%(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(component)s %(name)s: %(message)s"
            )
        )
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    # Third-party chatter is only interesting when something is wrong.
    for noisy in ("zeroconf", "websockets", "peewee"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
