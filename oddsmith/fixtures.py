"""Import football fixtures from the bundled openfootball league files.

The bundled files were taken in March 2026, so their unplayed matches lie in
the past. An import moves unplayed kick-offs forward by whole weeks until the
first one is in the future, keeping weekdays, times and the spacing between
rounds, so the demo always has matches to bet on. Played matches become
settled events with their real result.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any

import peewee as pw

from oddsmith import db, events

log = logging.getLogger(__name__)

FIXTURE_PACKAGE = "oddsmith.data.fixtures"


@dataclass(frozen=True)
class ImportResult:
    created: int
    settled: int
    skipped: int


def available() -> list[dict[str, Any]]:
    """List the bundled league files."""
    leagues = []
    for entry in sorted(
        resources.files(FIXTURE_PACKAGE).iterdir(), key=lambda p: p.name
    ):
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            leagues.append(
                {
                    "file": entry.name[:-5],
                    "name": data["name"],
                    "matches": len(data["matches"]),
                }
            )
    return leagues


def load(file: str) -> dict[str, Any]:
    names = {league["file"] for league in available()}
    if file not in names:
        raise KeyError(file)
    entry = resources.files(FIXTURE_PACKAGE) / f"{file}.json"
    return json.loads(entry.read_text(encoding="utf-8"))


def _kick_off(match: dict[str, Any]) -> dt.datetime:
    clock = match.get("time") or "15:00"
    return dt.datetime.fromisoformat(f"{match['date']}T{clock}")


def _result(match: dict[str, Any]) -> int | None:
    full_time = (match.get("score") or {}).get("ft")
    if not full_time:
        return None
    home, away = full_time
    return 0 if home > away else 1 if home == away else 2


def import_league(
    file: str, *, played: int = 10, now: dt.datetime | None = None
) -> ImportResult:
    """Create events for a league: every unplayed match, the last ``played`` results.

    Importing the same file twice creates nothing new: each match has a stable
    external reference.
    """
    now = now or db.utcnow()
    data = load(file)
    league = data["name"]
    matches = data["matches"]
    unplayed = [m for m in matches if _result(m) is None]
    finished = (
        [m for m in matches if _result(m) is not None][-played:] if played else []
    )

    shift = dt.timedelta(0)
    if unplayed:
        first = min(_kick_off(m) for m in unplayed)
        weeks = max(0, (now - first).days // 7 + 1) if first <= now else 0
        shift = dt.timedelta(weeks=weeks)

    created = settled = skipped = 0
    for match in finished + unplayed:
        result = _result(match)
        ref = f"{file}:{match['date']}:{match['team1']}:{match['team2']}"[:120]
        starts_at = _kick_off(match) + (shift if result is None else dt.timedelta(0))
        try:
            with db.write_transaction():
                event = events.create_football(
                    home=match["team1"],
                    away=match["team2"],
                    league=league,
                    starts_at=starts_at,
                    external_ref=ref,
                    now=now,
                )
                if result is not None:
                    # Nothing can have been staked on a match imported after it
                    # was played, so settling it moves no money.
                    event.status, event.result, event.settled_at = (
                        "settled",
                        result,
                        now,
                    )
                    event.save(
                        only=[db.Event.status, db.Event.result, db.Event.settled_at]
                    )
                    db.Lease.update(active=False).where(
                        db.Lease.resource == events.resource(event.id)
                    ).execute()
                    settled += 1
                created += 1
        except pw.IntegrityError:
            skipped += 1
    log.info(
        "imported %s: %s created, %s settled, %s already there",
        file,
        created,
        settled,
        skipped,
    )
    return ImportResult(created=created, settled=settled, skipped=skipped)
