// The admin console: fixtures, events and their lifecycle, exposure per
// outcome, roulette tables, player balances and the house result.
// Shown only to users whose role is admin; the API checks the role again.

import * as api from "./api.js";
import { barChart } from "./chart.js";
import { dateTime, localInputToIso } from "./dates.js";
import { field, fill, h, toast } from "./dom.js";
import { eventStatusLabel } from "./labels.js";
import { MoneyFormatError, centsToInput, formatMoney, parseAmount, parseOdds } from "./money.js";
import { Problem, explain } from "./problems.js";
import { receiveEvent, receiveTable, state, subscribe } from "./store.js";

const SECTIONS = [
  ["events", "Events"],
  ["fixtures", "Fixtures"],
  ["roulette", "Roulette tables"],
  ["users", "Players"],
  ["house", "House result"],
];

/** Run an admin call; report success as a toast and failure as a sentence. */
async function attempt(action, success, messageNode = null) {
  try {
    const value = await action();
    if (success) {
      toast(success, "ok");
    }
    if (messageNode) {
      messageNode.textContent = "";
    }
    return value;
  } catch (error) {
    if (!(error instanceof Problem)) {
      throw error;
    }
    if (messageNode) {
      messageNode.textContent = explain(error);
    } else {
      toast(explain(error), "error");
    }
    return undefined;
  }
}

/** Disable a button while its async handler runs, so it cannot fire twice. */
function busyButton(label, handler, props = {}) {
  const button = h("button", { type: "button", class: "button button-small", ...props }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await handler();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function signedMoney(cents) {
  return h("span", { class: ["num", cents < 0 ? "negative" : cents > 0 ? "positive" : ""] }, formatMoney(cents, { signed: true }));
}

// Events

/** Actions that may apply in each status; the API has the final word. */
const ACTIONS_BY_STATUS = {
  scheduled: ["open", "close", "void"],
  open: ["suspend", "close", "void"],
  suspended: ["resume", "close", "void"],
  closed: ["void"],
};

const ACTION_LABELS = {
  open: "Open betting",
  suspend: "Suspend",
  resume: "Resume",
  close: "Close betting",
  void: "Void",
};

function createEventForm(onCreated) {
  // The API's limit: a double chance selection joins both names in one column.
  const home = h("input", { required: true, maxlength: 48, autocomplete: "off" });
  const away = h("input", { required: true, maxlength: 48, autocomplete: "off" });
  const leagues = [...new Set([...state.events.values()].map((e) => e.league).filter(Boolean))].sort();
  const league = h("input", { required: true, maxlength: 80, list: "admin-leagues", autocomplete: "off" });
  const startsAt = h("input", { type: "datetime-local", required: true });
  const name = h("input", { maxlength: 160, placeholder: "Home v Away", autocomplete: "off" });
  const odds = ["Home", "Draw", "Away"].map((label) =>
    h("input", { inputmode: "decimal", placeholder: "auto", "aria-label": `Opening odds, ${label}`, class: "odds-input", autocomplete: "off" }),
  );
  const message = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "card admin-form" },
    h("h3", {}, "New football event"),
    h("datalist", { id: "admin-leagues" }, leagues.map((l) => h("option", { value: l }))),
    h("div", { class: "form-grid" }, field("Home team", home), field("Away team", away), field("League", league), field("Kick-off (your time)", startsAt), field("Name", name, "Defaults to “Home v Away”.")),
    h("fieldset", { class: "odds-fieldset" }, h("legend", {}, "Opening odds (optional, home / draw / away)"), h("div", { class: "odds-inputs" }, odds)),
    h("button", { type: "submit", class: "button button-primary" }, "Create event"),
    message,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const when = localInputToIso(startsAt.value);
    if (!when) {
      message.textContent = "Enter the kick-off date and time.";
      return;
    }
    const typed = odds.map((input) => input.value.trim());
    const body = {
      kind: "football",
      name: name.value.trim() || `${home.value.trim()} v ${away.value.trim()}`,
      league: league.value.trim(),
      starts_at: when,
      home: home.value.trim(),
      away: away.value.trim(),
    };
    if (typed.some(Boolean)) {
      try {
        typed.forEach(parseOdds);
      } catch (error) {
        message.textContent = error instanceof MoneyFormatError ? `Opening odds: ${error.message}` : String(error);
        return;
      }
      body.opening_odds = typed;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    const event = await attempt(() => api.createEvent(body), `Created ${body.name}.`, message);
    submit.disabled = false;
    if (event) {
      receiveEvent(event);
      form.reset();
      onCreated(event);
    }
  });
  return form;
}

function exposurePanel(event) {
  const holder = h("div", { class: "exposure" }, h("p", { class: "muted" }, "Loading exposure…"));
  let timer = null;
  async function load() {
    const data = await attempt(() => api.exposure(event.id), null, holder);
    if (!data) {
      return;
    }
    const rows = data.outcomes.map((o) => ({ label: o.name, value: o.liability }));
    const results = data.outcomes.map((o) => ({ label: o.name, value: o.house_result }));
    fill(holder, 
      h(
        "dl",
        { class: "stat-row" },
        h("div", {}, h("dt", {}, "Total staked"), h("dd", {}, formatMoney(data.total_stake))),
        h("div", {}, h("dt", {}, "Exposure budget"), h("dd", {}, data.budget === null || data.budget === undefined ? "—" : formatMoney(data.budget))),
        h("div", {}, h("dt", {}, "Worst case"), h("dd", {}, signedMoney(Math.min(...data.outcomes.map((o) => o.house_result), 0)))),
      ),
      h("h4", {}, "Liability per outcome"),
      barChart({ title: "Liability per outcome", rows, format: formatMoney, limit: Number.isInteger(data.budget) ? data.budget : null }),
      h("h4", {}, "House result if the outcome wins"),
      barChart({ title: "House result per outcome", rows: results, format: (v) => formatMoney(v, { signed: true }), tone: "signed" }),
    );
  }
  load();
  // New bets change exposure and bump the event's version; reload at most once a second.
  const unsubscribe = subscribe("event", ({ event: next }) => {
    if (next.id === event.id && !timer) {
      timer = setTimeout(() => {
        timer = null;
        load();
      }, 1000);
    }
  });
  return { node: holder, stop: () => (unsubscribe(), clearTimeout(timer)) };
}

function eventDetail(eventId, onClose) {
  const host = h("section", { class: "card event-detail", "aria-live": "polite" });
  let exposure = null;
  function draw() {
    const event = state.events.get(eventId);
    if (!event) {
      fill(host, h("p", {}, "Loading…"));
      return;
    }
    exposure?.stop();
    exposure = exposurePanel(event);
    const message = h("p", { class: "form-error", role: "alert" });
    const actions = (ACTIONS_BY_STATUS[event.status] ?? []).map((action) =>
      busyButton(ACTION_LABELS[action], async () => {
        if (action === "void" && !window.confirm(`Void ${event.name}? Every stake is returned.`)) {
          return;
        }
        const next = await attempt(() => api.changeEvent(event.id, action), `${ACTION_LABELS[action]}: ${event.name}`, message);
        if (next) {
          receiveEvent(next);
        }
      }, { class: ["button", "button-small", action === "void" ? "button-danger" : ""] }),
    );
    const outcomeSelect = () =>
      h("select", { required: true }, event.outcomes.map((o) => h("option", { value: o.code }, o.name)));

    const settleOutcome = outcomeSelect();
    // Settling needs betting closed first: the result must not be bettable.
    const settle = event.status === "closed"
      ? h(
          "div",
          { class: "inline-form" },
          field("Winning outcome", settleOutcome),
          busyButton("Settle", async () => {
            const name = settleOutcome.selectedOptions[0]?.textContent;
            if (!window.confirm(`Settle ${event.name} with ${name} as the result?`)) {
              return;
            }
            const next = await attempt(() => api.settleEvent(event.id, settleOutcome.value), `Settled: ${event.name}`, message);
            if (next) {
              receiveEvent(next);
            }
          }),
        )
      : null;

    const correctOutcome = outcomeSelect();
    const reason = h("input", { required: true, maxlength: 200, placeholder: "Why the result changes", autocomplete: "off" });
    const correct = event.status === "settled"
      ? h(
          "div",
          { class: "inline-form" },
          field("Corrected outcome", correctOutcome),
          field("Reason", reason),
          busyButton("Correct result", async () => {
            if (!reason.value.trim()) {
              message.textContent = "Give a reason for the correction: it goes in the ledger.";
              return;
            }
            const next = await attempt(() => api.correctEvent(event.id, correctOutcome.value, reason.value.trim()), `Corrected: ${event.name}`, message);
            if (next) {
              receiveEvent(next);
            }
          }),
        )
      : null;

    const resultName = event.result ? event.outcomes.find((o) => o.code === event.result)?.name ?? event.result : null;
    fill(host, 
      h(
        "div",
        { class: "detail-head" },
        h("div", {}, h("h3", {}, event.name), h("p", { class: "muted" }, `${event.league ?? "Roulette"} · ${dateTime(event.starts_at)} · #${event.id} · version ${event.version}`)),
        h("span", { class: ["badge", `badge-${event.status}`] }, eventStatusLabel(event.status)),
        h("button", { type: "button", class: "icon-button", "aria-label": "Close details", onclick: onClose }, "×"),
      ),
      resultName ? h("p", {}, "Result: ", h("strong", {}, resultName)) : null,
      actions.length ? h("div", { class: "button-row" }, actions) : null,
      settle,
      correct,
      message,
      exposure.node,
    );
  }
  draw();
  const unsubscribe = subscribe("event", ({ event, previous }) => {
    // Redraw on a status change only: exposure reloads itself on other changes.
    if (event.id === eventId && previous?.status !== event.status) {
      draw();
    }
  });
  return { node: host, stop: () => (unsubscribe(), exposure?.stop()) };
}

function eventsSection(container) {
  const status = h(
    "select",
    { class: "compact" },
    ["open", "scheduled", "suspended", "closed", "settled", "voided", ""].map((s) => h("option", { value: s }, s ? eventStatusLabel(s) : "Any status")),
  );
  const kind = h("select", { class: "compact" }, h("option", { value: "football" }, "Football"), h("option", { value: "roulette" }, "Roulette"), h("option", { value: "" }, "Any kind"));
  const search = h("input", { type: "search", placeholder: "Team or league", class: "compact", autocomplete: "off" });
  const list = h("div", { class: "table-wrap" });
  const detailHost = h("div");
  let events = [];
  let detail = null;

  function openDetail(eventId) {
    detail?.stop();
    detail = eventDetail(eventId, () => {
      detail?.stop();
      detail = null;
      fill(detailHost);
    });
    fill(detailHost, detail.node);
    detail.node.scrollIntoView({ block: "nearest" });
  }

  function drawList() {
    const needle = search.value.trim().toLowerCase();
    const shown = events
      .map((e) => state.events.get(e.id) ?? e)
      .filter((e) => !needle || `${e.name} ${e.league ?? ""}`.toLowerCase().includes(needle));
    if (shown.length === 0) {
      fill(list, h("p", { class: "empty" }, "No events match."));
      return;
    }
    const limit = 200;
    fill(list, 
      h(
        "table",
        { class: "data-table admin-events" },
        h("thead", {}, h("tr", {}, ["Kick-off", "Event", "League", "Status", ""].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          shown.slice(0, limit).map((e) =>
            h(
              "tr",
              {},
              h("td", { "data-label": "Kick-off" }, dateTime(e.starts_at)),
              h("td", { "data-label": "Event" }, e.name),
              h("td", { "data-label": "League" }, e.league ?? "—"),
              h("td", { "data-label": "Status" }, h("span", { class: ["badge", `badge-${e.status}`] }, eventStatusLabel(e.status))),
              h("td", {}, h("button", { type: "button", class: "button button-small", onclick: () => openDetail(e.id) }, "Manage")),
            ),
          ),
        ),
      ),
      shown.length > limit ? h("p", { class: "muted" }, `Showing ${limit} of ${shown.length}; narrow the search to see the rest.`) : null,
    );
  }

  async function load() {
    fill(list, h("p", { class: "muted" }, "Loading…"));
    const loaded = await attempt(() => api.listEvents({ kind: kind.value || undefined, status: status.value || undefined }), null, list);
    if (loaded) {
      events = loaded.sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
      loaded.forEach((event) => receiveEvent(event));
      drawList();
    }
  }

  status.addEventListener("change", load);
  kind.addEventListener("change", load);
  search.addEventListener("input", drawList);
  // The form is folded away: managing events is the common task here.
  const form = createEventForm((event) => openDetail(event.id));
  form.id = "new-event-form";
  form.hidden = true;
  const toggle = h(
    "button",
    {
      type: "button",
      class: "button",
      "aria-expanded": "false",
      "aria-controls": "new-event-form",
      onclick: () => {
        form.hidden = !form.hidden;
        toggle.setAttribute("aria-expanded", String(!form.hidden));
        if (!form.hidden) {
          form.querySelector("input")?.focus();
        }
      },
    },
    "New football event",
  );
  container.append(
    h("div", { class: "button-row" }, toggle),
    form,
    detailHost,
    h(
      "section",
      { class: "card" },
      h("div", { class: "section-head" }, h("h3", {}, "Events"), h("div", { class: "filters" }, field("Status", status), field("Kind", kind), field("Search", search))),
      list,
    ),
  );
  load();
  const unsubscribe = subscribe("event", ({ event, previous }) => {
    if (previous && previous.status !== event.status && events.some((e) => e.id === event.id)) {
      drawList();
    }
  });
  return () => (unsubscribe(), detail?.stop());
}

// Fixtures

function fixturesSection(container) {
  const list = h("div", { class: "table-wrap" }, h("p", { class: "muted" }, "Loading league files…"));
  container.append(
    h(
      "section",
      { class: "card" },
      h("h3", {}, "Import fixtures"),
      h("p", { class: "muted" }, "Each league file creates its matches as events; matches already played are settled with their real result."),
      list,
    ),
  );
  attempt(() => api.fixtureFiles(), null, list).then((leagues) => {
    if (!leagues) {
      return;
    }
    fill(list, 
      h(
        "table",
        { class: "data-table" },
        h("thead", {}, h("tr", {}, ["League", "File", "Matches", "", ""].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          leagues.map((league) => {
            const outcome = h("span", { class: "muted", "aria-live": "polite" });
            return h(
              "tr",
              {},
              h("td", { "data-label": "League" }, league.name),
              h("td", { "data-label": "File" }, h("code", {}, league.file)),
              h("td", { class: "num", "data-label": "Matches" }, String(league.matches)),
              h(
                "td",
                {},
                busyButton("Import", async () => {
                  outcome.textContent = "Importing…";
                  const done = await attempt(() => api.importFixtures(league.file), `Imported ${league.name}.`, outcome);
                  if (done) {
                    outcome.textContent = `${done.created} created, ${done.settled} settled, ${done.skipped} skipped`;
                  }
                }),
              ),
              h("td", {}, outcome),
            );
          }),
        ),
      ),
    );
  });
  return null;
}

// Roulette tables

function tablesSectionAdmin(container) {
  const name = h("input", { required: true, maxlength: 60, autocomplete: "off" });
  const betting = h("input", { type: "number", min: 5, max: 600, value: 30, required: true });
  const pause = h("input", { type: "number", min: 1, max: 600, value: 10, required: true });
  const message = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "card admin-form" },
    h("h3", {}, "Open a roulette table"),
    h("div", { class: "form-grid" }, field("Table name", name), field("Betting time (seconds)", betting), field("Pause after the draw (seconds)", pause)),
    h("button", { type: "submit", class: "button button-primary" }, "Open table"),
    message,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const table = await attempt(
      () => api.openTable({ name: name.value.trim(), betting_seconds: Number(betting.value), pause_seconds: Number(pause.value) }),
      `Opened ${name.value.trim()}.`,
      message,
    );
    if (table) {
      receiveTable(table);
      form.reset();
    }
  });
  const list = h("div", { class: "table-wrap" });
  function draw() {
    const tables = [...state.tables.values()];
    fill(list, 
      tables.length === 0
        ? h("p", { class: "empty" }, "No tables yet.")
        : h(
            "table",
            { class: "data-table" },
            h("thead", {}, h("tr", {}, ["Table", "Status", "Betting", "Pause", "Round", ""].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              tables.map((t) =>
                h(
                  "tr",
                  {},
                  h("td", { "data-label": "Table" }, h("a", { href: `#/roulette/${t.id}` }, t.name)),
                  h("td", { "data-label": "Status" }, h("span", { class: ["badge", `badge-${t.status}`] }, eventStatusLabel(t.status))),
                  h("td", { class: "num", "data-label": "Betting" }, `${t.betting_seconds} s`),
                  h("td", { class: "num", "data-label": "Pause" }, `${t.pause_seconds} s`),
                  h("td", { class: "num", "data-label": "Round" }, t.current_event_id ? `#${t.current_event_id}` : "—"),
                  h(
                    "td",
                    {},
                    t.status === "stopped"
                      ? null
                      : busyButton("Stop", async () => {
                          if (!window.confirm(`Stop ${t.name}? The round in progress finishes first or is voided, as the server decides.`)) {
                            return;
                          }
                          const next = await attempt(() => api.stopTable(t.id), `Stopped ${t.name}.`);
                          if (next) {
                            receiveTable(next);
                          }
                        }, { class: "button button-small button-danger" }),
                  ),
                ),
              ),
            ),
          ),
    );
  }
  draw();
  container.append(form, h("section", { class: "card" }, h("h3", {}, "Tables"), list));
  const unsubscribe = [subscribe("tables", draw), subscribe("table", draw)];
  return () => unsubscribe.forEach((u) => u());
}

// Players

function userRow(user) {
  const balance = h("input", { inputmode: "decimal", value: centsToInput(user.balance), "aria-label": `New balance for ${user.username}`, class: "compact money-input", autocomplete: "off" });
  const reason = h("input", { placeholder: "Reason (required)", "aria-label": `Reason for changing ${user.username}'s balance`, class: "compact", maxlength: 200, autocomplete: "off" });
  const shown = h("span", { class: "num" }, formatMoney(user.balance));
  const message = h("span", { class: "form-error", role: "alert" });
  const save = busyButton("Set balance", async () => {
    let cents;
    try {
      cents = parseAmount(balance.value);
    } catch (error) {
      message.textContent = error.message;
      return;
    }
    if (!reason.value.trim()) {
      message.textContent = "Give a reason: it is written to the ledger.";
      return;
    }
    const updated = await attempt(() => api.setBalance(user.id, cents, reason.value.trim()), `${user.username}'s balance is now ${formatMoney(cents)}.`, message);
    if (updated) {
      shown.textContent = formatMoney(updated.balance);
      reason.value = "";
    }
  });
  return h(
    "tr",
    {},
    h("td", { "data-label": "Player" }, user.username),
    h("td", { "data-label": "Role" }, user.role),
    h("td", { "data-label": "Balance" }, shown),
    h("td", { "data-label": "Change" }, h("div", { class: "inline-form" }, balance, reason, save), message),
  );
}

function usersSection(container) {
  const query = h("input", { type: "search", placeholder: "Start of a username", autocomplete: "off" });
  const results = h("div", { class: "table-wrap" });
  const form = h("form", { class: "inline-form", role: "search" }, field("Find a player", query), h("button", { type: "submit", class: "button" }, "Search"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const users = await attempt(() => api.findUsers(query.value.trim()), null, results);
    if (!users) {
      return;
    }
    fill(results, 
      users.length === 0
        ? h("p", { class: "empty" }, "No player matches.")
        : h(
            "table",
            { class: "data-table" },
            h("thead", {}, h("tr", {}, ["Player", "Role", "Balance", "Set balance"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, users.map(userRow)),
          ),
    );
  });
  container.append(h("section", { class: "card" }, h("h3", {}, "Players"), form, results));
  return null;
}

// House result

function houseSection(container) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const refresh = busyButton("Refresh", load);
  container.append(h("section", { class: "card" }, h("div", { class: "section-head" }, h("h3", {}, "House result over all events"), refresh), body));
  async function load() {
    const data = await attempt(() => api.house(), null, body);
    if (!data) {
      return;
    }
    const events = [...data.events].sort((a, b) => Math.abs(b.house_result) - Math.abs(a.house_result));
    // Tolerate rows without total_stake: the house view may leave it out.
    const stakeOf = (e) => (Number.isInteger(e.total_stake) ? e.total_stake : null);
    const staked = events.reduce((sum, e) => sum + (stakeOf(e) ?? 0), 0);
    const withBets = events.filter((e) => (stakeOf(e) ?? 0) > 0 || e.house_result !== 0).length;
    const biggest = events.slice(0, 12);
    fill(body, 
      h(
        "dl",
        { class: "stat-row" },
        h("div", {}, h("dt", {}, "House result"), h("dd", { class: "stat-big" }, signedMoney(data.total))),
        events.some((e) => stakeOf(e) !== null) ? h("div", {}, h("dt", {}, "Total staked"), h("dd", {}, formatMoney(staked))) : null,
        h("div", {}, h("dt", {}, "Events with bets"), h("dd", {}, String(withBets))),
      ),
      biggest.length
        ? [h("h4", {}, "Largest results"), barChart({ title: "House result per event", rows: biggest.map((e) => ({ label: e.name, value: e.house_result })), format: (v) => formatMoney(v, { signed: true }), tone: "signed" })]
        : null,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data-table" },
          h("thead", {}, h("tr", {}, ["Event", "Status", "Staked", "House result"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            events.slice(0, 300).map((e) =>
              h(
                "tr",
                {},
                h("td", { "data-label": "Event" }, e.name),
                h("td", { "data-label": "Status" }, h("span", { class: ["badge", `badge-${e.status}`] }, eventStatusLabel(e.status))),
                h("td", { class: "num", "data-label": "Staked" }, stakeOf(e) === null ? "—" : formatMoney(stakeOf(e))),
                h("td", { "data-label": "House result" }, signedMoney(e.house_result)),
              ),
            ),
          ),
        ),
      ),
    );
  }
  load();
  return null;
}

const DRAWERS = {
  events: eventsSection,
  fixtures: fixturesSection,
  roulette: tablesSectionAdmin,
  users: usersSection,
  house: houseSection,
};

/** Mount the admin console, or a refusal for anyone who is not an admin. */
export function mountAdmin(container, { section = "events" } = {}) {
  let teardown = null;
  function draw() {
    teardown?.();
    teardown = null;
    fill(container);
    if (state.user?.role !== "admin") {
      container.append(
        h("h1", { class: "page-title" }, "Admin"),
        h("p", { class: "card" }, state.user ? "This console is for administrators only." : "Log in with an administrator account to use this console."),
      );
      return;
    }
    const chosen = DRAWERS[section] ? section : "events";
    container.append(
      h("h1", { class: "page-title" }, "Admin console"),
      h(
        "nav",
        { class: "segmented admin-tabs", "aria-label": "Admin sections" },
        SECTIONS.map(([key, label]) => h("a", { class: "segment", href: `#/admin/${key}`, "aria-current": key === chosen ? "page" : false }, label)),
      ),
    );
    const body = h("div", { class: "admin-body" });
    container.append(body);
    teardown = DRAWERS[chosen](body);
  }
  draw();
  const unsubscribe = subscribe("user", ({ user }) => {
    if ((user?.role === "admin") !== (container.querySelector(".admin-tabs") !== null)) {
      draw();
    }
  });
  return () => {
    unsubscribe();
    teardown?.();
  };
}
