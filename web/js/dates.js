// Calendar helpers: group fixtures by league and local day, label kick-offs
// and count down to a close. Times arrive in UTC and are shown in the
// visitor's own time zone unless a test passes one.

const LOCALE = "en-GB";

/** Return the local calendar day of an instant as "YYYY-MM-DD". */
export function dayKey(iso, timeZone = undefined) {
  // en-CA formats dates as year-month-day, which sorts as text.
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date(iso));
}

/** Label a day for a heading: "Today", "Tomorrow" or "Sat 6 Dec". */
export function dayLabel(key, now = new Date(), timeZone = undefined) {
  const today = dayKey(now.toISOString(), timeZone);
  const tomorrow = dayKey(new Date(now.getTime() + 86_400_000).toISOString(), timeZone);
  if (key === today) {
    return "Today";
  }
  if (key === tomorrow) {
    return "Tomorrow";
  }
  // Noon UTC of that date falls on the same date in every zone within ±11 h.
  return new Intl.DateTimeFormat(LOCALE, {
    timeZone: "UTC",
    weekday: "short",
    day: "numeric",
    month: "short",
  }).format(new Date(`${key}T12:00:00Z`));
}

/** Return the local time of an instant as "15:00". */
export function clockTime(iso, timeZone = undefined) {
  return new Intl.DateTimeFormat(LOCALE, { timeZone, hour: "2-digit", minute: "2-digit" }).format(
    new Date(iso),
  );
}

/** Return a short date and time, "6 Dec 2026, 15:00", for tables and lists. */
export function dateTime(iso, timeZone = undefined) {
  return new Intl.DateTimeFormat(LOCALE, {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
}

/**
 * Group football events by league, then by local day, each sorted by time.
 *
 * Returns `[{league, days: [{key, events}]}]` with leagues in alphabetical
 * order and days in calendar order.
 */
export function groupByLeagueAndDay(events, timeZone = undefined) {
  const leagues = new Map();
  const sorted = [...events].sort(
    (a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at) || a.id - b.id,
  );
  for (const event of sorted) {
    const league = event.league || "Other";
    if (!leagues.has(league)) {
      leagues.set(league, new Map());
    }
    const days = leagues.get(league);
    const key = dayKey(event.starts_at, timeZone);
    if (!days.has(key)) {
      days.set(key, []);
    }
    days.get(key).push(event);
  }
  return [...leagues.keys()]
    .sort((a, b) => a.localeCompare(b))
    .map((league) => ({
      league,
      days: [...leagues.get(league)].map(([key, dayEvents]) => ({ key, events: dayEvents })),
    }));
}

/** Return the whole seconds left until an instant, never below zero. */
export function secondsUntil(iso, nowMs = Date.now()) {
  return Math.max(0, Math.ceil((Date.parse(iso) - nowMs) / 1000));
}

/** Render a countdown as "0:07" or "1:30". */
export function formatCountdown(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Convert a datetime-local input value (local wall time) to a UTC ISO string. */
export function localInputToIso(value) {
  const when = new Date(value);
  if (Number.isNaN(when.getTime())) {
    return null;
  }
  return when.toISOString().replace(/\.\d{3}Z$/, "Z");
}
