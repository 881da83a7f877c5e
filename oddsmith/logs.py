"""Logging for every process: one line per record, the component named.

Levels: DEBUG for detail useful when chasing a bug; INFO for one line per
request, bet, settlement and ownership change; WARNING for a fault the
process recovers from by itself (logged once loudly, then at DEBUG while it
lasts); ERROR for a fault that needs a person.
"""

from __future__ import annotations

import logging


def configure(component: str, level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)s {component} %(name)s: %(message)s",
        force=True,
    )
    # Third-party chatter is only interesting when something is wrong.
    for noisy in ("zeroconf", "websockets", "peewee"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
