// The bet slip: one selection, a stake, an odds policy and a Place button.
//
// The slip keeps the odds the person accepted and sends those; live changes
// are shown beside them with an offer to take the new odds, never swapped in
// silently. While a bet is in flight the button is disabled, and a retry of
// the same slip reuses its Idempotency-Key, so a double click or a lost answer
// can never place two bets.

import * as api from "./api.js";
import { fill, h } from "./dom.js";
import { eventStatusLabel, isBettable } from "./labels.js";
import { centsToInput, formatMoney, parseOdds } from "./money.js";
import { Problem, explain, isRetryable } from "./problems.js";
import { describeBet } from "./roulette-layout.js";
import { ODDS_POLICIES, SlipKey, checkStake, findSelection, limitReason, potentialPayout } from "./slip-model.js";
import { receiveBet, state, subscribe } from "./store.js";

const QUICK_STAKES = [500, 1000, 2500];

const changes = new EventTarget();
const key = new SlipKey();

const slip = {
  eventId: null,
  selectionId: null,
  /** The odds the person accepted, sent with the bet. */
  odds: null,
  stakeText: "",
  policy: "better",
  inFlight: false,
  /** `{tone, text}` shown under the button, or null. */
  message: null,
  /** Fresher odds and maximum from a refusal's `current`, until live catches up. */
  fresh: null,
  /** The accepted Bet after a success, shown as a receipt. */
  receipt: null,
};

let ui = null;

/** Return the id of the selection on the slip, or null. */
export function pickedSelectionId() {
  return slip.receipt ? null : slip.selectionId;
}

/** Call `listener({selectionId})` when the slip's selection changes; return an unsubscribe. */
export function onChange(listener) {
  const handler = (event) => listener(event.detail);
  changes.addEventListener("change", handler);
  return () => changes.removeEventListener("change", handler);
}

function announce(detail = {}) {
  changes.dispatchEvent(new CustomEvent("change", { detail: { selectionId: pickedSelectionId(), ...detail } }));
}

/** The selection as the slip should see it: live, or fresher from a refusal. */
function view() {
  const event = state.events.get(slip.eventId);
  const found = findSelection(event, slip.selectionId);
  if (!found) {
    return null;
  }
  let { odds, max_stake: maxStake } = found.selection;
  if (slip.fresh && slip.fresh.version >= event.version) {
    odds = slip.fresh.odds ?? odds;
    maxStake = slip.fresh.max_stake ?? maxStake;
  }
  return { event, market: found.market, selection: found.selection, odds, maxStake };
}

function selectionTitle(event, selection) {
  return event.kind === "roulette" ? describeBet(selection.code) : selection.name;
}

/**
 * Put a selection on the slip, or take it off when it is already there.
 *
 * The stake and the policy stay, as a person comparing prices expects.
 */
export function pick(eventId, selectionId) {
  if (slip.inFlight) {
    return;
  }
  if (slip.selectionId === selectionId && !slip.receipt) {
    clear();
    return;
  }
  const found = findSelection(state.events.get(eventId), selectionId);
  if (!found) {
    return;
  }
  Object.assign(slip, {
    eventId,
    selectionId,
    odds: found.selection.odds,
    message: null,
    fresh: null,
    receipt: null,
  });
  key.retire();
  draw();
  setOpen(true);
  ui?.stake?.focus({ preventScroll: true });
  announce();
}

/** Empty the slip. */
export function clear() {
  if (slip.inFlight) {
    return;
  }
  Object.assign(slip, { eventId: null, selectionId: null, odds: null, message: null, fresh: null, receipt: null });
  key.retire();
  draw();
  announce();
}

async function place() {
  const current = view();
  if (slip.inFlight || !current) {
    return;
  }
  const { stake, error } = checkStake(slip.stakeText, { maxStake: current.maxStake, balance: state.user?.balance ?? null });
  if (stake === null || error) {
    return;
  }
  const body = {
    event_id: slip.eventId,
    selection_id: slip.selectionId,
    stake,
    odds: slip.odds,
    policy: slip.policy,
  };
  const idempotencyKey = key.forRequest(body);
  slip.inFlight = true;
  slip.message = { tone: "info", text: "Placing your bet…" };
  update();
  try {
    const bet = await api.placeBet(body, idempotencyKey);
    key.retire();
    slip.receipt = bet;
    slip.message = null;
    receiveBet(bet);
    announce({ placed: bet });
  } catch (error) {
    if (!(error instanceof Problem)) {
      throw error;
    }
    refused(error, current);
  } finally {
    slip.inFlight = false;
    if (slip.receipt) {
      draw();
      ui?.body.querySelector("button")?.focus();
    } else {
      update();
    }
  }
}

function refused(problem, current) {
  if (!isRetryable(problem)) {
    // A definite refusal: no bet exists under this key, the next try is new.
    key.retire();
  }
  if (problem.current) {
    slip.fresh = { ...problem.current, version: problem.current.version ?? current.event.version };
  }
  slip.message = {
    tone: "error",
    text: explain(problem, {
      selectionName: selectionTitle(current.event, current.selection),
      askedOdds: slip.odds,
      balance: state.user?.balance,
    }),
  };
  if (isRetryable(problem)) {
    slip.message.text += " Pressing Place again is safe.";
  }
}

/** For a closed roulette round, find the same bet in the table's open round. */
function nextRound(event, selection) {
  const table = event.kind === "roulette" ? state.tables.get(event.spin?.table_id) : null;
  const nextEvent = table ? state.events.get(table.current_event_id) : null;
  if (!nextEvent || nextEvent.id === event.id || !isBettable(nextEvent)) {
    return null;
  }
  const same = nextEvent.markets.flatMap((m) => m.selections).find((s) => s.code === selection.code);
  return same ? { event: nextEvent, selection: same } : null;
}

function takeOdds(odds) {
  slip.odds = odds;
  slip.message = null;
  update();
}

// Drawing. `draw()` rebuilds the slip's body when its shape changes (empty,
// selection, receipt); `update()` patches values in place so typing in the
// stake field is never interrupted by live odds.

function frame(aside) {
  const count = h("span", { class: "slip-count" }, "0");
  const toggle = h(
    "button",
    {
      type: "button",
      class: "slip-toggle",
      "aria-expanded": "false",
      "aria-controls": "slip-body",
      onclick: () => setOpen(!aside.classList.contains("is-open")),
    },
    h("span", {}, "Bet slip"),
    count,
  );
  const body = h("div", { class: "slip-body", id: "slip-body" });
  fill(aside, h("div", { class: "slip-head" }, h("h2", { class: "slip-title" }, "Bet slip"), toggle), body);
  return { root: aside, body, count, toggle };
}

/** Open or fold the slip; only phones show it folded. */
function setOpen(open) {
  ui?.root.classList.toggle("is-open", open);
  ui?.toggle.setAttribute("aria-expanded", String(open));
}

function emptyBody() {
  return h(
    "div",
    { class: "slip-empty" },
    h("p", {}, "Pick odds on a match or a number on a roulette table to start a bet."),
  );
}

function receiptBody(bet) {
  return h(
    "div",
    { class: "slip-receipt", role: "status" },
    h("p", { class: "receipt-title" }, h("span", { class: "tick", "aria-hidden": "true" }, "✓"), " Bet placed"),
    h(
      "dl",
      { class: "receipt-lines" },
      h("dt", {}, "Selection"),
      h("dd", {}, `${bet.selection_name} — ${bet.event_name}`),
      h("dt", {}, "Stake"),
      h("dd", {}, formatMoney(bet.stake)),
      h("dt", {}, "Odds"),
      h("dd", {}, bet.odds),
      h("dt", {}, "Potential payout"),
      h("dd", {}, formatMoney(bet.potential_payout)),
      h("dt", {}, "Reference"),
      h("dd", {}, `#${bet.id}`),
    ),
    h(
      "div",
      { class: "button-row" },
      h("button", { type: "button", class: "button", onclick: () => {
        slip.receipt = null;
        slip.odds = view()?.odds ?? slip.odds;
        draw();
        announce();
      } }, "Bet again"),
      h("button", { type: "button", class: "button button-quiet", onclick: clear }, "Done"),
    ),
  );
}

function selectionBody(current) {
  const { event, market } = current;
  ui.stake = h("input", {
    id: "slip-stake",
    class: "stake-input",
    type: "text",
    inputmode: "decimal",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "0.00",
    value: slip.stakeText,
    "aria-describedby": "slip-stake-note slip-limit",
    oninput: () => {
      slip.stakeText = ui.stake.value;
      slip.message = null;
      update();
    },
    onkeydown: (e) => {
      if (e.key === "Enter") {
        place();
      }
    },
  });
  ui.odds = h("span", { class: "slip-odds" });
  ui.notice = h("div", { class: "slip-notice", role: "status" });
  ui.limit = h("p", { class: "slip-limit", id: "slip-limit" });
  ui.stakeNote = h("p", { class: "slip-stake-note", id: "slip-stake-note", "aria-live": "polite" });
  ui.payout = h("strong", { class: "slip-payout" });
  ui.place = h("button", { type: "button", class: "button button-primary place-button", onclick: place });
  ui.login = h(
    "a",
    {
      class: "button button-primary place-button",
      href: "#/account",
      // Come back to this page, slip intact, once logged in.
      onclick: () => sessionStorage.setItem("oddsmith.returnTo", window.location.hash || "#/"),
    },
    "Log in to place a bet",
  );
  ui.message = h("p", { class: "slip-message", role: "alert" });

  const quick = h(
    "div",
    { class: "quick-stakes" },
    QUICK_STAKES.map((cents) =>
      h("button", { type: "button", class: "chip", onclick: () => addStake(cents) }, `+${formatMoney(cents).replace(".00", "")}`),
    ),
    h("button", { type: "button", class: "chip", onclick: useMaximum }, "Max"),
  );
  const policies = h(
    "fieldset",
    { class: "policy" },
    h("legend", {}, "If the odds change"),
    ODDS_POLICIES.map(({ policy, label }) =>
      h(
        "label",
        { class: "policy-option" },
        h("input", {
          type: "radio",
          name: "odds-policy",
          value: policy,
          checked: slip.policy === policy,
          onchange: () => {
            slip.policy = policy;
            update();
          },
        }),
        h("span", {}, label),
      ),
    ),
  );
  return h(
    "div",
    { class: "slip-form" },
    h(
      "div",
      { class: "slip-pick" },
      h(
        "div",
        { class: "slip-pick-text" },
        h("span", { class: "slip-event" }, event.name),
        h("strong", { class: "slip-selection" }, selectionTitle(event, current.selection)),
        h("span", { class: "slip-market" }, market.name),
      ),
      ui.odds,
      h("button", { type: "button", class: "icon-button", "aria-label": "Remove from slip", onclick: clear }, "×"),
    ),
    ui.notice,
    h(
      "label",
      { class: "field", for: "slip-stake" },
      h("span", { class: "field-caption" }, "Stake"),
      h("span", { class: "stake-box" }, h("span", { class: "stake-currency", "aria-hidden": "true" }, "€"), ui.stake),
    ),
    quick,
    ui.stakeNote,
    ui.limit,
    h("p", { class: "slip-return" }, h("span", {}, "Potential payout"), ui.payout),
    policies,
    ui.place,
    ui.login,
    ui.message,
  );
}

function addStake(cents) {
  const { stake } = checkStake(slip.stakeText);
  slip.stakeText = centsToInput((stake ?? 0) + cents);
  ui.stake.value = slip.stakeText;
  slip.message = null;
  update();
}

function useMaximum() {
  const current = view();
  if (!current) {
    return;
  }
  const balance = state.user?.balance;
  const cap = Number.isInteger(balance) ? Math.min(balance, current.maxStake) : current.maxStake;
  slip.stakeText = centsToInput(cap);
  ui.stake.value = slip.stakeText;
  update();
}

function draw() {
  if (!ui) {
    return;
  }
  const current = view();
  const picked = slip.receipt || current ? 1 : 0;
  ui.count.textContent = String(picked);
  ui.root.classList.toggle("has-pick", picked > 0);
  if (slip.receipt) {
    fill(ui.body, receiptBody(slip.receipt));
  } else if (current) {
    fill(ui.body, selectionBody(current));
    update();
  } else {
    fill(ui.body, emptyBody());
  }
}

function update() {
  const current = view();
  if (!ui?.stake || !current || slip.receipt) {
    return;
  }
  const { event, odds: liveOdds, maxStake } = current;
  const bettable = isBettable(event);
  ui.odds.textContent = slip.odds;

  // The live odds moved away from the ones accepted: show both, offer the new.
  fill(ui.notice);
  ui.notice.className = "slip-notice";
  if (!bettable) {
    ui.notice.classList.add("is-warning");
    const next = nextRound(event, current.selection);
    if (next) {
      ui.notice.append(
        h("span", {}, "This round is closed."),
        h("button", { type: "button", class: "button button-small", onclick: () => pick(next.event.id, next.selection.id) }, "Bet on the next round"),
      );
    } else {
      ui.notice.append(`${eventStatusLabel(event.status)}: betting is not possible right now.`);
    }
  } else if (liveOdds !== slip.odds) {
    const better = parseOdds(liveOdds) > parseOdds(slip.odds);
    ui.notice.classList.add(better ? "is-up" : "is-down");
    ui.notice.append(
      h("span", {}, `Odds are now ${liveOdds} (you picked ${slip.odds}).`),
      h("button", { type: "button", class: "button button-small", onclick: () => takeOdds(liveOdds) }, `Take ${liveOdds}`),
    );
  }

  ui.limit.textContent = `Maximum stake ${formatMoney(maxStake)}, limited by ${limitReason(event, current.selection)}.`;

  const balance = state.user ? state.user.balance : null;
  const { stake, error } = checkStake(slip.stakeText, { maxStake, balance });
  ui.payout.textContent = stake === null ? "—" : formatMoney(potentialPayout(stake, slip.odds));
  ui.stakeNote.textContent = slip.stakeText.trim() === "" ? "" : (error ?? "");
  ui.stake.setAttribute("aria-invalid", String(Boolean(error) && slip.stakeText.trim() !== ""));

  const signedIn = state.user !== null;
  ui.login.hidden = signedIn;
  ui.place.hidden = !signedIn;
  ui.place.disabled = slip.inFlight || !bettable || stake === null || Boolean(error);
  ui.place.textContent = slip.inFlight ? "Placing…" : stake === null ? "Place bet" : `Place bet ${formatMoney(stake)}`;
  ui.place.setAttribute("aria-busy", String(slip.inFlight));

  ui.message.textContent = slip.message?.text ?? "";
  ui.message.className = `slip-message tone-${slip.message?.tone ?? "none"}`;
  ui.message.hidden = !slip.message;
}

/** Mount the slip into its aside and keep it in step with live data. */
export function mountSlip(aside) {
  ui = frame(aside);
  draw();
  subscribe("event", ({ event }) => {
    if (event.id === slip.eventId) {
      if (slip.fresh && event.version > slip.fresh.version) {
        slip.fresh = null;
      }
      update();
    }
  });
  subscribe("events", () => (view() ? update() : draw()));
  // A new roulette round can turn a closed roulette pick into an offer.
  subscribe("table", () => update());
  subscribe("user", () => draw());
  subscribe("balance", () => update());
}
