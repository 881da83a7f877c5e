// The page's shared state: events, roulette tables, the signed-in user and
// their bets. Views read from here and subscribe to what changed; only the
// app wiring and the live connection write.

import { Verdict, classify, shouldApply } from "./versions.js";

const bus = new EventTarget();

export const state = {
  /** Events by id, each the latest snapshot seen. */
  events: new Map(),
  /** Roulette tables by id. */
  tables: new Map(),
  /** `{id, username, role, balance}` once GET /api/me answered, else null. */
  user: null,
  /** The user's bets, newest first, or null until first loaded. */
  bets: null,
  /** "connecting", "up" or "down": the live connection. */
  connection: "connecting",
};

function emit(topic, detail) {
  bus.dispatchEvent(new CustomEvent(topic, { detail }));
}

/** Call `listener(detail)` on every `topic` change; return an unsubscribe function. */
export function subscribe(topic, listener) {
  const handler = (event) => listener(event.detail);
  bus.addEventListener(topic, handler);
  return () => bus.removeEventListener(topic, handler);
}

/**
 * Take an event snapshot from any source, HTTP or live, keeping the newest.
 *
 * Returns the verdict so the caller can ask for a snapshot after a gap;
 * `previousVersion` is what the relay says its last message carried.
 */
export function receiveEvent(event, previousVersion) {
  const previous = state.events.get(event.id);
  const verdict = classify(previous?.version, event.version, previousVersion);
  if (shouldApply(verdict)) {
    state.events.set(event.id, event);
    emit("event", { event, previous: previous ?? null });
  }
  return verdict;
}

/** Take a list of events from GET /api/events, then tell listeners once. */
export function receiveEventList(events) {
  let changed = false;
  for (const event of events) {
    const previous = state.events.get(event.id);
    if (shouldApply(classify(previous?.version, event.version))) {
      state.events.set(event.id, event);
      changed = true;
    }
  }
  if (changed) {
    emit("events", {});
  }
}

export function receiveTables(tables) {
  state.tables = new Map(tables.map((table) => [table.id, table]));
  emit("tables", {});
}

export function receiveTable(table) {
  state.tables.set(table.id, table);
  emit("table", { table });
}

export function setUser(user) {
  state.user = user;
  if (user === null) {
    state.bets = null;
  }
  emit("user", { user });
}

export function setBalance(balance) {
  if (state.user) {
    state.user = { ...state.user, balance };
    emit("balance", { balance });
  }
}

export function setBets(bets) {
  state.bets = bets;
  emit("bets", {});
}

/** Insert or replace one bet, keeping newest first. */
export function receiveBet(bet) {
  if (state.bets !== null) {
    const others = state.bets.filter((b) => b.id !== bet.id);
    state.bets = [bet, ...others].sort(
      (a, b) => Date.parse(b.placed_at) - Date.parse(a.placed_at) || b.id - a.id,
    );
  }
  emit("bet", { bet });
}

export function setConnection(status, detail = {}) {
  state.connection = status;
  emit("connection", { status, ...detail });
}

export { Verdict };
