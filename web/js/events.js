// The events board: football by league and day, and the roulette tables.
// Odds update in place from live snapshots, flashing up or down, so a change
// never moves the layout or steals the keyboard focus.

import { clockTime, dayLabel, groupByLeagueAndDay } from "./dates.js";
import { fill, flash, h } from "./dom.js";
import { eventStatusLabel, isBettable, isFinished } from "./labels.js";
import { compareOdds, formatMoney } from "./money.js";
import * as slip from "./slip.js";
import { state, subscribe } from "./store.js";
import { tableCard } from "./tables.js";

/** Return a key that changes whenever an event's markets or selections do. */
function shapeOf(event) {
  return (event.markets ?? []).map((m) => `${m.code}:${m.selections.map((s) => s.id).join(",")}`).join("|");
}

function selectionLabel(event, selection) {
  const max = formatMoney(selection.max_stake);
  return `${selection.name} at ${selection.odds}, maximum stake ${max}` + (isBettable(event) ? "" : `, ${eventStatusLabel(event.status)}`);
}

/** Build one selection button and return it with a function that patches it. */
function selectionButton(event, selection) {
  const odds = h("span", { class: "sel-odds" }, selection.odds);
  const max = h("span", { class: "sel-max" }, `max ${formatMoney(selection.max_stake)}`);
  const button = h(
    "button",
    {
      type: "button",
      class: "sel",
      "aria-pressed": String(slip.pickedSelectionId() === selection.id),
      "aria-label": selectionLabel(event, selection),
      disabled: !isBettable(event),
      dataset: { selectionId: selection.id },
      onclick: () => slip.pick(event.id, selection.id),
    },
    h("span", { class: "sel-name" }, selection.name),
    odds,
    max,
  );
  let shown = selection;
  function patch(nextEvent, next) {
    if (next.odds !== shown.odds) {
      flash(button, compareOdds(next.odds, shown.odds) > 0 ? "flash-up" : "flash-down");
      odds.textContent = next.odds;
    }
    if (next.max_stake !== shown.max_stake) {
      max.textContent = `max ${formatMoney(next.max_stake)}`;
    }
    button.disabled = !isBettable(nextEvent);
    button.setAttribute("aria-label", selectionLabel(nextEvent, next));
    shown = next;
  }
  return { button, patch };
}

function statusBadge(event) {
  return h("span", { class: ["badge", `badge-${event.status}`], hidden: event.status === "open" }, eventStatusLabel(event.status));
}

/** Build one event row; return it with a patch function for later snapshots. */
function eventRow(event) {
  const patches = new Map();
  const badge = statusBadge(event);
  const marketGroup = (market, withName) =>
    h(
      "div",
      { class: "market", role: "group", "aria-label": `${market.name}, ${event.name}` },
      withName ? h("span", { class: "market-name" }, market.name) : null,
      h(
        "div",
        { class: ["market-selections", `count-${market.selections.length}`] },
        market.selections.map((selection) => {
          const { button, patch } = selectionButton(event, selection);
          patches.set(selection.id, patch);
          return button;
        }),
      ),
    );
  // The first market (the match result) shows in the row; the others fold
  // away behind a button so the board stays one row per match.
  const [primary, ...others] = event.markets ?? [];
  const more = others.length
    ? h("div", { class: "more-markets", id: `more-markets-${event.id}`, hidden: true }, others.map((m) => marketGroup(m, true)))
    : null;
  const moreToggle = others.length
    ? h(
        "button",
        {
          type: "button",
          class: "more-toggle",
          "aria-expanded": "false",
          "aria-controls": `more-markets-${event.id}`,
          onclick: () => {
            more.hidden = !more.hidden;
            moreToggle.setAttribute("aria-expanded", String(!more.hidden));
            moreToggle.textContent = more.hidden ? `+${others.length} more` : "Fewer";
          },
        },
        `+${others.length} more`,
      )
    : null;
  const markets = primary ? [marketGroup(primary, false)] : [];
  const row = h(
    "article",
    { class: ["event-row", `status-${event.status}`], dataset: { eventId: event.id } },
    h(
      "div",
      { class: "event-info" },
      h("time", { class: "event-time", datetime: event.starts_at }, clockTime(event.starts_at)),
      h("h4", { class: "event-name" }, event.name),
      h("div", { class: "event-meta" }, badge, moreToggle),
    ),
    h("div", { class: "event-markets" }, markets),
    more,
  );
  function patch(next) {
    badge.textContent = eventStatusLabel(next.status);
    badge.className = `badge badge-${next.status}`;
    badge.hidden = next.status === "open";
    row.className = `event-row status-${next.status}`;
    for (const market of next.markets ?? []) {
      for (const selection of market.selections) {
        patches.get(selection.id)?.(next, selection);
      }
    }
  }
  return { row, patch };
}

function visibleFootball() {
  return [...state.events.values()].filter((e) => e.kind === "football" && !isFinished(e.status));
}

/** Draw the football section; keep handles to patch rows in place. */
function footballSection(leagueFilter) {
  const rows = new Map();
  const section = h("section", { class: "board-section", "aria-labelledby": "football-heading" });
  const events = visibleFootball().filter((e) => !leagueFilter.value || e.league === leagueFilter.value);
  const groups = groupByLeagueAndDay(events);

  const heading = h("div", { class: "section-head" }, h("h2", { id: "football-heading" }, "Football"), leagueFilter.control);
  section.append(heading);
  if (groups.length === 0) {
    section.append(h("p", { class: "empty" }, state.events.size ? "No matches open for betting right now." : "Loading matches…"));
  }
  for (const group of groups) {
    const league = h("section", { class: "league" }, h("h3", { class: "league-name" }, group.league));
    for (const day of group.days) {
      league.append(h("h4", { class: "day-label" }, dayLabel(day.key)));
      const list = h("div", { class: "event-list" });
      for (const event of day.events) {
        const built = eventRow(event);
        rows.set(event.id, { ...built, shape: shapeOf(event) });
        list.append(built.row);
      }
      league.append(list);
    }
    section.append(league);
  }
  return { section, rows };
}

function leagueFilter(onChange) {
  const select = h("select", { class: "compact", "aria-label": "League", onchange: onChange }, h("option", { value: "" }, "All leagues"));
  function refill() {
    const current = select.value;
    const leagues = [...new Set(visibleFootball().map((e) => e.league))].sort();
    fill(select, h("option", { value: "" }, "All leagues"), ...leagues.map((name) => h("option", { value: name }, name)));
    select.value = leagues.includes(current) ? current : "";
  }
  refill();
  return {
    control: select,
    refill,
    get value() {
      return select.value;
    },
  };
}

/** Draw the roulette tables strip; each card links to its table. */
export function tablesSection() {
  const section = h("section", { class: "board-section", "aria-labelledby": "roulette-heading" });
  const grid = h("div", { class: "table-grid" });
  section.append(h("div", { class: "section-head" }, h("h2", { id: "roulette-heading" }, "Roulette")), grid);
  const cards = [];
  function draw() {
    cards.forEach((c) => c.stop());
    cards.length = 0;
    const tables = [...state.tables.values()].filter((t) => t.status !== "stopped");
    if (tables.length === 0) {
      fill(grid, h("p", { class: "empty" }, "No roulette table is running."));
      return;
    }
    fill(grid, 
      ...tables.map((table) => {
        const card = tableCard(table);
        cards.push(card);
        return card.node;
      }),
    );
  }
  draw();
  const unsubscribe = [subscribe("tables", draw), subscribe("table", draw)];
  return {
    section,
    stop() {
      unsubscribe.forEach((u) => u());
      cards.forEach((c) => c.stop());
    },
  };
}

/** Mount the events board into `container`; return its teardown. */
export function mountEvents(container) {
  const football = h("div");
  const tables = tablesSection();
  container.append(h("h1", { class: "visually-hidden" }, "Events"), football, tables.section);

  let rows = new Map();
  const filter = leagueFilter(() => redraw());
  function redraw() {
    // Put focus back on the same selection after a structural redraw.
    const focusedId = document.activeElement?.dataset?.selectionId;
    const drawn = footballSection(filter);
    rows = drawn.rows;
    fill(football, drawn.section);
    if (focusedId) {
      football.querySelector(`[data-selection-id="${CSS.escape(focusedId)}"]`)?.focus();
    }
  }
  redraw();

  const unsubscribe = [
    subscribe("events", () => {
      filter.refill();
      redraw();
    }),
    subscribe("event", ({ event }) => {
      if (event.kind !== "football") {
        return;
      }
      const row = rows.get(event.id);
      if (row && row.shape === shapeOf(event) && !isFinished(event.status)) {
        row.patch(event);
      } else if (row || !isFinished(event.status)) {
        filter.refill();
        redraw();
      }
    }),
    slip.onChange(({ selectionId }) => {
      for (const button of football.querySelectorAll(".sel")) {
        button.setAttribute("aria-pressed", String(Number(button.dataset.selectionId) === selectionId));
      }
    }),
  ];
  return () => {
    unsubscribe.forEach((u) => u());
    tables.stop();
  };
}
