import assert from "node:assert/strict";
import { test } from "node:test";

import {
  dayKey,
  dayLabel,
  formatCountdown,
  groupByLeagueAndDay,
  secondsUntil,
} from "../js/dates.js";

test("a late kick-off in UTC falls on the next local day further east", () => {
  assert.equal(dayKey("2026-12-06T23:30:00Z", "UTC"), "2026-12-06");
  assert.equal(dayKey("2026-12-06T23:30:00Z", "Europe/Paris"), "2026-12-07");
});

test("days are labelled today, tomorrow or by weekday", () => {
  const now = new Date("2026-12-05T10:00:00Z");
  assert.equal(dayLabel("2026-12-05", now, "UTC"), "Today");
  assert.equal(dayLabel("2026-12-06", now, "UTC"), "Tomorrow");
  assert.equal(dayLabel("2026-12-09", now, "UTC"), "Wed 9 Dec");
});

test("football events are grouped by league, then day, in time order", () => {
  const events = [
    { id: 3, league: "Serie A", starts_at: "2026-12-06T19:45:00Z" },
    { id: 1, league: "Premier League", starts_at: "2026-12-06T15:00:00Z" },
    { id: 2, league: "Premier League", starts_at: "2026-12-06T12:30:00Z" },
    { id: 4, league: "Premier League", starts_at: "2026-12-07T16:30:00Z" },
  ];
  const groups = groupByLeagueAndDay(events, "UTC");
  assert.deepEqual(
    groups.map((g) => [g.league, g.days.map((d) => [d.key, d.events.map((e) => e.id)])]),
    [
      ["Premier League", [["2026-12-06", [2, 1]], ["2026-12-07", [4]]]],
      ["Serie A", [["2026-12-06", [3]]]],
    ],
  );
});

test("a countdown rounds up to whole seconds and stops at zero", () => {
  const now = Date.parse("2026-12-05T10:00:00Z");
  assert.equal(secondsUntil("2026-12-05T10:00:07.200Z", now), 8);
  assert.equal(secondsUntil("2026-12-05T09:59:00Z", now), 0);
  assert.equal(formatCountdown(7), "0:07");
  assert.equal(formatCountdown(90), "1:30");
});
