// A roulette table's summary card: its state, the countdown of the round in
// progress and the last pockets drawn. Used on the events board and the
// roulette lobby.

import { formatCountdown, secondsUntil } from "./dates.js";
import { h } from "./dom.js";
import { pocketColour } from "./roulette-layout.js";
import { state } from "./store.js";

/** Build a small coloured chip for a drawn pocket. */
export function pocketChip(pocket, { large = false } = {}) {
  return h(
    "span",
    { class: ["pocket-chip", `pocket-${pocketColour(pocket)}`, large && "pocket-chip-large"], title: `${pocket} ${pocketColour(pocket)}` },
    String(pocket),
  );
}

/** Describe where a table's current round stands, for a card or a heading. */
export function roundPhase(table, nowMs = Date.now()) {
  // Only "stopped" is assumed to mean the table no longer deals rounds.
  if (table.status === "stopped") {
    return { text: "Stopped", live: false };
  }
  const event = state.events.get(table.current_event_id);
  const spin = event?.spin;
  if (!spin) {
    return { text: "Waiting for the next round", live: false };
  }
  if (spin.pocket !== null && spin.pocket !== undefined) {
    return { text: `Result ${spin.pocket}`, live: false, pocket: spin.pocket };
  }
  const left = secondsUntil(spin.closes_at, nowMs);
  if (left > 0 && event.status === "open") {
    return { text: `Bets close in ${formatCountdown(left)}`, live: true, seconds: left };
  }
  return { text: "No more bets", live: false };
}

/** Build a card for a table, ticking its countdown until `stop()` is called. */
export function tableCard(table) {
  const phase = h("span", { class: "table-phase" });
  function tick() {
    const now = roundPhase(state.tables.get(table.id) ?? table);
    phase.textContent = now.text;
    phase.classList.toggle("is-live", now.live);
  }
  tick();
  const timer = setInterval(tick, 500);
  const recent = (table.recent ?? []).slice(0, 8);
  const node = h(
    "a",
    { class: "table-card", href: `#/roulette/${table.id}` },
    h("span", { class: "table-name" }, table.name),
    phase,
    h(
      "span",
      { class: "table-recent", "aria-label": recent.length ? `Last results: ${recent.map((r) => r.pocket).join(", ")}` : "No results yet" },
      recent.length ? recent.map((r) => pocketChip(r.pocket)) : h("span", { class: "muted" }, "No results yet"),
    ),
    h("span", { class: "table-cta" }, "Play ›"),
  );
  return { node, stop: () => clearInterval(timer) };
}
