"""Events: creating them, their lifecycle rules, and their public view.

The rules here are plain code; the worker that owns an event applies them in
its transactions, and the API uses the view to answer reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from oddsmith import db, money, roulette
from oddsmith.markets import EventSpec, football
from oddsmith.markets import roulette as roulette_spec
from oddsmith.pricing import Book, PricingParams

OPEN_STATES = ("scheduled", "open", "suspended", "closed")

# Admin action -> (states it is allowed from, state it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "open": (frozenset({"scheduled"}), "open"),
    "suspend": (frozenset({"open"}), "suspended"),
    "resume": (frozenset({"suspended"}), "open"),
    "close": (frozenset({"scheduled", "open", "suspended"}), "closed"),
    "void": (frozenset({"scheduled", "open", "suspended", "closed"}), "voided"),
    "settle": (frozenset({"closed"}), "settled"),
}

_MARKET_NAMES = {
    "1x2": "Match result",
    "double_chance": "Double chance",
    "straight": "Straight up",
    "colour": "Colour",
    "parity": "Odd or even",
    "half": "Low or high",
    "dozen": "Dozens",
    "column": "Columns",
}


def resource(event_id: int) -> str:
    return f"event:{event_id}"


def params_of(event: db.Event) -> PricingParams:
    return PricingParams(**json.loads(event.params))


def spec_of(event: db.Event) -> EventSpec:
    return EventSpec.from_json_obj(json.loads(event.spec))


def _football_names(spec: EventSpec, home: str, away: str) -> EventSpec:
    """Name outcomes and selections after the teams instead of Home and Away."""
    names = {"home": home, "draw": "Draw", "away": away}
    double = {
        "1x": f"{home} or draw",
        "x2": f"Draw or {away}",
        "12": f"{home} or {away}",
    }
    markets = []
    for market in spec.markets:
        selections = tuple(
            dataclasses.replace(
                sel, name=names.get(sel.code) or double.get(sel.code) or sel.name
            )
            for sel in market.selections
        )
        markets.append(dataclasses.replace(market, selections=selections))
    return dataclasses.replace(spec, markets=tuple(markets))


def outcome_names(event: db.Event, spec: EventSpec) -> list[str]:
    if event.kind == "football":
        home, _, away = event.name.partition(" v ")
        return [home, "Draw", away]
    return list(spec.outcomes)


def _insert(
    *,
    kind: str,
    name: str,
    spec: EventSpec,
    params: PricingParams,
    status: str,
    **fields: Any,
) -> db.Event:
    """Insert an event, its selections, its ownership lease and first snapshot."""
    event = db.Event.create(
        kind=kind,
        name=name,
        status=status,
        spec=json.dumps(spec.to_json_obj()),
        params=json.dumps(dataclasses.asdict(params)),
        **fields,
    )
    rows = []
    position = 0
    for market in spec.markets:
        for sel in market.selections:
            rows.append(
                {
                    "event": event.id,
                    "position": position,
                    "market": market.code,
                    "code": sel.code,
                    "name": sel.name,
                }
            )
            position += 1
    db.Selection.insert_many(rows).execute()
    event.snapshot = json.dumps(snapshot_markets(event, spec, Book(spec, params)))
    event.save(only=[db.Event.snapshot])
    db.Lease.create(resource=resource(event.id), active=status in OPEN_STATES)
    return event


def create_football(
    *,
    home: str,
    away: str,
    league: str,
    starts_at: dt.datetime,
    opening_odds: tuple[int, int, int] | None = None,
    external_ref: str | None = None,
    now: dt.datetime | None = None,
) -> db.Event:
    """Create a football match with 1X2 and double chance; call in a transaction."""
    now = now or db.utcnow()
    spec = _football_names(football(opening_odds), home, away)
    return _insert(
        kind="football",
        name=f"{home} v {away}",
        spec=spec,
        params=PricingParams.for_football(),
        status="open" if starts_at > now else "closed",
        league=league,
        starts_at=starts_at,
        closes_at=starts_at,
        external_ref=external_ref,
    )


def create_spin(table: db.RouletteTable, number: int, now: dt.datetime) -> db.Event:
    """Create the next spin of a table, committing to its secret before any bet."""
    secret = roulette.new_secret()
    return _insert(
        kind="roulette",
        name=f"{table.name} spin {number}",
        spec=roulette_spec(),
        params=PricingParams.for_roulette(),
        status="open",
        league=table.name,
        starts_at=now,
        closes_at=now + dt.timedelta(seconds=table.betting_seconds),
        table=table.id,
        spin_number=number,
        secret=secret,
        commitment=roulette.commitment(secret),
    )


def snapshot_markets(
    event: db.Event, spec: EventSpec, book: Book
) -> list[dict[str, Any]]:
    """Return the public markets: every selection with its odds and maximum stake."""
    odds = book.odds()
    caps, binding = book.max_stakes()
    ids = dict(
        db.Selection.select(db.Selection.position, db.Selection.id)
        .where(db.Selection.event == event.id)
        .tuples()
    )
    codes = spec.outcomes
    markets = []
    position = 0
    for market in spec.markets:
        selections = []
        for sel in market.selections:
            bind = int(binding[position])
            selections.append(
                {
                    "id": ids.get(position, 0),
                    "code": sel.code,
                    "name": sel.name,
                    "odds": money.format_odds(int(odds[position])),
                    "max_stake": int(caps[position]),
                    "limited_by": codes[bind] if bind >= 0 else None,
                }
            )
            position += 1
        markets.append(
            {
                "code": market.code,
                "name": _MARKET_NAMES.get(market.code, market.name),
                "selections": selections,
            }
        )
    return markets


def view(event: db.Event) -> dict[str, Any]:
    """Return an event as the API and the update stream show it."""
    spec = spec_of(event)
    names = outcome_names(event, spec)
    spin = None
    if event.kind == "roulette":
        revealed = event.status in ("settled", "voided")
        spin = {
            "table_id": event.table_id,
            "number": event.spin_number,
            "closes_at": db.isoformat(event.closes_at),
            "commitment": event.commitment,
            "secret": event.secret if revealed else None,
            "pocket": event.result if revealed else None,
        }
    return {
        "id": event.id,
        "kind": event.kind,
        "name": event.name,
        "league": event.league,
        "starts_at": db.isoformat(event.starts_at),
        "status": event.status,
        "version": event.version,
        # A roulette pocket is stored at the draw but shown only once settled.
        "result": (
            spec.outcomes[event.result]
            if event.result is not None and event.status == "settled"
            else None
        ),
        "outcomes": [
            {"index": i, "code": code, "name": names[i]}
            for i, code in enumerate(spec.outcomes)
        ],
        "markets": json.loads(event.snapshot) if event.snapshot else [],
        "spin": spin,
    }


def outcome_index(spec: EventSpec, code: str) -> int | None:
    try:
        return spec.outcomes.index(code)
    except ValueError:
        return None


def selection_outcomes(spec: EventSpec) -> list[tuple[int, ...]]:
    return [sel.outcomes for market in spec.markets for sel in market.selections]


def table_view(table: db.RouletteTable) -> dict[str, Any]:
    spins = list(
        db.Event.select(db.Event.id, db.Event.result, db.Event.status)
        .where(db.Event.table == table.id)
        .order_by(db.Event.spin_number.desc())
        .limit(12)
    )
    current = next((s.id for s in spins if s.status in OPEN_STATES), None)
    return {
        "id": table.id,
        "name": table.name,
        "status": table.status,
        "betting_seconds": table.betting_seconds,
        "pause_seconds": table.pause_seconds,
        "current_event_id": current,
        "recent": [
            {"event_id": s.id, "pocket": s.result}
            for s in spins
            if s.status == "settled"
        ],
    }


def bet_view(bet: db.Bet, event_name: str, selection_name: str) -> dict[str, Any]:
    return {
        "id": bet.id,
        "event_id": bet.event_id,
        "event_name": event_name,
        "selection_id": bet.selection_id,
        "selection_name": selection_name,
        "stake": bet.stake,
        "odds": money.format_odds(bet.odds),
        "potential_payout": money.payout(bet.stake, bet.odds),
        "status": bet.status,
        "payout": bet.payout,
        "placed_at": db.isoformat(bet.placed_at),
    }
