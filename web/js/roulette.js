// The roulette lobby and a table's page: wheel, countdown, bet board, recent
// results and the provably fair check.

import * as api from "./api.js";
import { fill, h } from "./dom.js";
import { tablesSection } from "./events.js";
import { fairnessExplainer, roundCheck } from "./fair-check.js";
import { eventStatusLabel, isBettable } from "./labels.js";
import { formatMoney } from "./money.js";
import { boardCells, covers, describeBet, pocketColour } from "./roulette-layout.js";
import * as slip from "./slip.js";
import { receiveEvent, state, subscribe } from "./store.js";
import { pocketChip, roundPhase } from "./tables.js";
import { createWheel } from "./wheel.js";

/** Mount the list of tables. */
export function mountLobby(container) {
  const tables = tablesSection();
  container.append(h("h1", { class: "page-title" }, "Roulette"), tables.section);
  return () => tables.stop();
}

function selectionsByCode(event) {
  const byCode = new Map();
  for (const market of event?.markets ?? []) {
    for (const selection of market.selections) {
      byCode.set(selection.code, selection);
    }
  }
  return byCode;
}

/** Build the bet board; return it with a function that binds it to a round. */
function createBoard() {
  const cells = new Map();
  const grid = h("div", { class: "board", role: "group", "aria-label": "Bet board" });
  for (const cell of boardCells()) {
    const odds = h("span", { class: "cell-odds" });
    const button = h(
      "button",
      {
        type: "button",
        class: ["cell", `cell-${cell.colour}`, /^\d+$/.test(cell.code) ? "cell-number" : "cell-outside"],
        "aria-pressed": "false",
        disabled: true,
        dataset: { code: cell.code },
      },
      h("span", { class: "cell-label" }, cell.label),
      odds,
    );
    // Grid placement goes through custom properties so CSS can pick the
    // horizontal or the upright layout with a media query.
    for (const [orientation, prefix] of [["horizontal", "h"], ["upright", "v"]]) {
      const place = cell[orientation];
      button.style.setProperty(`--${prefix}-row`, place.row);
      button.style.setProperty(`--${prefix}-col`, place.col);
      button.style.setProperty(`--${prefix}-rows`, place.rowSpan);
      button.style.setProperty(`--${prefix}-cols`, place.colSpan);
    }
    grid.append(button);
    cells.set(cell.code, { button, odds, selectionId: null });
  }

  let event = null;
  function bind(nextEvent) {
    event = nextEvent;
    const byCode = selectionsByCode(event);
    const open = isBettable(event);
    for (const [code, cell] of cells) {
      const selection = byCode.get(code);
      cell.selectionId = selection?.id ?? null;
      cell.odds.textContent = selection ? selection.odds : "";
      cell.button.disabled = !selection || !open;
      cell.button.setAttribute(
        "aria-label",
        selection ? `${describeBet(code)}, odds ${selection.odds}, maximum stake ${formatMoney(selection.max_stake)}` : describeBet(code),
      );
      cell.button.title = selection ? `${describeBet(code)} · ${selection.odds} · max ${formatMoney(selection.max_stake)}` : describeBet(code);
    }
    markPicked(slip.pickedSelectionId());
  }
  function markPicked(selectionId) {
    for (const cell of cells.values()) {
      cell.button.setAttribute("aria-pressed", String(cell.selectionId !== null && cell.selectionId === selectionId));
    }
  }
  function markWinners(pocket) {
    for (const [code, cell] of cells) {
      cell.button.classList.toggle("is-winner", pocket !== null && covers(code, pocket));
    }
  }
  grid.addEventListener("click", (e) => {
    const button = e.target.closest(".cell");
    const cell = [...cells.values()].find((c) => c.button === button);
    if (cell?.selectionId && event) {
      slip.pick(event.id, cell.selectionId);
    }
  });
  return { node: grid, bind, markPicked, markWinners };
}

/** Mount a table's page. */
export function mountTable(container, { id }) {
  const tableId = Number(id);
  const wheel = createWheel();
  const board = createBoard();
  const title = h("h1", { class: "table-title" }, "Roulette");
  const phase = h("p", { class: "round-phase", "aria-live": "polite" });
  const result = h("div", { class: "round-result", "aria-live": "polite" });
  const recent = h("div", { class: "recent-results", "aria-label": "Recent results" });
  const roundStatus = h("p", { class: "muted board-note" });
  const fairRounds = h("div", { class: "fair-rounds" });

  container.append(
    h(
      "div",
      { class: "table-page" },
      h("div", { class: "table-head" }, h("a", { class: "back-link", href: "#/roulette" }, "‹ All tables"), title, phase),
      h(
        "div",
        { class: "table-layout" },
        h("div", { class: "wheel-panel card" }, wheel.node, result, h("h2", { class: "small-heading" }, "Recent results"), recent),
        h(
          "div",
          { class: "board-panel card" },
          h("h2", { class: "small-heading" }, "Place your chips"),
          h("div", { class: "board-scroll" }, board.node),
          roundStatus,
        ),
      ),
      h("section", { class: "card fair-panel", "aria-labelledby": "fair-heading" }, h("h2", { id: "fair-heading" }, "Provably fair"), fairRounds, fairnessExplainer()),
    ),
  );

  let shownEventId = null;
  let previousEvent = null;
  let spunEventId = null;
  let spinning = false;
  let fairKey = "";

  function currentTable() {
    return state.tables.get(tableId) ?? null;
  }

  function currentEvent() {
    const table = currentTable();
    return table ? state.events.get(table.current_event_id) ?? null : null;
  }

  function drawRecent(table) {
    const items = (table?.recent ?? []).slice(0, 14);
    fill(recent, ...(items.length ? items.map((r) => pocketChip(r.pocket)) : [h("span", { class: "muted" }, "No results yet.")]));
  }

  function drawResult(pocket) {
    if (spinning) {
      fill(result, h("span", { class: "muted" }, "Spinning…"));
      return;
    }
    if (pocket !== null && pocket !== undefined) {
      fill(result, pocketChip(pocket, { large: true }), h("span", { class: "result-words" }, `${pocket} ${pocketColour(pocket)}`));
      return;
    }
    // A new round: the ball stays where it fell until the next spin.
    const last = currentTable()?.recent?.[0]?.pocket;
    fill(result, 
      last === undefined
        ? h("span", { class: "muted" }, "Waiting for the draw.")
        : h("span", { class: "last-result" }, h("span", { class: "muted" }, "Last result"), pocketChip(last), h("span", { class: "muted" }, "· next draw when betting closes")),
    );
  }

  function drawFairness(event) {
    const key = `${event?.id}:${event?.spin?.secret}:${previousEvent?.id}:${previousEvent?.spin?.secret}`;
    if (key === fairKey) {
      return;
    }
    fairKey = key;
    fill(fairRounds, 
      roundCheck("This round", event),
      previousEvent?.spin?.secret ? roundCheck("Last round", previousEvent) : null,
    );
  }

  function tick() {
    const table = currentTable();
    if (!table) {
      phase.textContent = state.tables.size ? "This table does not exist." : "Loading…";
      return;
    }
    const now = roundPhase(table);
    phase.textContent = spinning ? "Spinning…" : now.text;
    phase.classList.toggle("is-live", now.live && !spinning);
    phase.classList.toggle("is-urgent", now.live && now.seconds <= 5);
  }

  async function onRound() {
    const table = currentTable();
    if (!table) {
      return;
    }
    title.textContent = table.name;
    drawRecent(table);
    if (!table.current_event_id) {
      // Between rounds: keep the last spin on show.
      return;
    }
    let event = state.events.get(table.current_event_id);
    if (!event) {
      try {
        event = await api.getEvent(table.current_event_id);
        receiveEvent(event);
        event = state.events.get(table.current_event_id);
      } catch {
        return;
      }
    }
    onEvent(event);
  }

  function onEvent(event) {
    // A page opened after the draw shows the wheel already at rest.
    const firstSight = shownEventId === null;
    if (event.id !== shownEventId) {
      if (shownEventId !== null) {
        previousEvent = state.events.get(shownEventId) ?? previousEvent;
      }
      shownEventId = event.id;
      board.markWinners(null);
      const last = currentTable()?.recent?.[0]?.pocket;
      if (firstSight && (event.spin?.pocket ?? null) === null && last !== undefined) {
        wheel.show(last);
      }
    }
    board.bind(event);
    roundStatus.textContent = isBettable(event)
      ? "Pick a bet on the board to put it on your slip."
      : `${eventStatusLabel(event.status)}: no bets on this round.`;
    const pocket = event.spin?.pocket ?? null;
    if (pocket !== null && spunEventId !== event.id) {
      spunEventId = event.id;
      if (spinning) {
        return;
      }
      if (firstSight || document.hidden) {
        wheel.show(pocket);
        landed(pocket);
      } else {
        spinning = true;
        drawResult(null);
        tick();
        wheel.spinTo(pocket).then(() => {
          spinning = false;
          landed(pocket);
        });
      }
    } else {
      drawResult(pocket);
    }
    drawFairness(event);
  }

  function landed(pocket) {
    drawResult(pocket);
    board.markWinners(pocket);
    tick();
  }

  // The last finished round, for its fairness check, fetched once per visit.
  let fetchedLast = false;
  function fetchLastRound() {
    const table = currentTable();
    const last = table?.recent?.find((r) => r.event_id !== table.current_event_id);
    if (!last || fetchedLast) {
      return;
    }
    fetchedLast = true;
    api.getEvent(last.event_id).then(
      (event) => {
        previousEvent ??= event;
        fairKey = "";
        drawFairness(currentEvent());
      },
      () => {},
    );
  }

  onRound().then(fetchLastRound);
  tick();
  const timer = setInterval(tick, 250);
  const unsubscribe = [
    subscribe("tables", () => onRound().then(fetchLastRound)),
    subscribe("table", ({ table }) => table.id === tableId && onRound()),
    subscribe("event", ({ event }) => {
      // Between rounds the table names no current event, yet the settled
      // spin still arrives after that; any spin of this table at least as
      // new as the one shown is taken.
      if (event.spin?.table_id === tableId && event.id >= (shownEventId ?? 0)) {
        onEvent(event);
      }
    }),
    slip.onChange(({ selectionId }) => board.markPicked(selectionId)),
  ];
  return () => {
    clearInterval(timer);
    unsubscribe.forEach((u) => u());
  };
}
