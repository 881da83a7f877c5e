// The account page: log in or register when signed out; otherwise the live
// balance, my bets and the statement of ledger entries.

import * as api from "./api.js";
import { dateTime } from "./dates.js";
import { field, fill, h, toast } from "./dom.js";
import { betStatusLabel, ledgerKindLabel } from "./labels.js";
import { formatMoney } from "./money.js";
import { Problem, explain } from "./problems.js";
import { setBets, state, subscribe } from "./store.js";

/** Run a form's submit handler with its button disabled and its error shown. */
function guardedSubmit(form, message, action) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    message.textContent = "";
    try {
      await action();
    } catch (error) {
      if (!(error instanceof Problem)) {
        throw error;
      }
      message.textContent = explain(error);
    } finally {
      button.disabled = false;
    }
  });
}

/** Go back to the page whose slip sent the visitor here to log in, if any. */
function returnToSlip() {
  const target = sessionStorage.getItem("oddsmith.returnTo");
  sessionStorage.removeItem("oddsmith.returnTo");
  if (target && target !== window.location.hash) {
    window.location.hash = target;
  }
}

function loginForm() {
  const username = h("input", { name: "username", autocomplete: "username", required: true, maxlength: 64 });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const message = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "card auth-card", "aria-labelledby": "login-heading" },
    h("h2", { id: "login-heading" }, "Log in"),
    field("Username", username),
    field("Password", password),
    h("button", { type: "submit", class: "button button-primary" }, "Log in"),
    message,
  );
  guardedSubmit(form, message, async () => {
    await api.login(username.value.trim(), password.value);
    password.value = "";
    returnToSlip();
  });
  return form;
}

function registerForm() {
  // The same limits as the server's, so the browser explains them before sending.
  const username = h("input", {
    name: "username",
    autocomplete: "username",
    required: true,
    minlength: 3,
    maxlength: 32,
    pattern: "[A-Za-z0-9_.\\-]+",
  });
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 10, maxlength: 128 });
  const message = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "card auth-card", "aria-labelledby": "register-heading" },
    h("h2", { id: "register-heading" }, "Create an account"),
    field("Username", username, "3 to 32 letters, digits, dots, dashes or underscores."),
    field("Password", password, "At least 10 characters."),
    h("button", { type: "submit", class: "button" }, "Create account"),
    message,
  );
  guardedSubmit(form, message, async () => {
    const name = username.value.trim();
    await api.register(name, password.value);
    // Registration does not sign in; doing it here saves typing twice.
    await api.login(name, password.value);
    password.value = "";
    toast(`Welcome, ${name}.`, "ok");
    returnToSlip();
  });
  return form;
}

function betPayoutText(bet) {
  switch (bet.status) {
    case "open":
      return `${formatMoney(bet.potential_payout)} if it wins`;
    case "won":
      return formatMoney(bet.payout);
    case "void":
      return `${formatMoney(bet.payout)} returned`;
    default:
      return formatMoney(0);
  }
}

function betsTable(bets) {
  if (bets.length === 0) {
    return h("p", { class: "empty" }, "No bets here yet.");
  }
  return h(
    "table",
    { class: "data-table bets-table" },
    h("caption", { class: "visually-hidden" }, "My bets"),
    h(
      "thead",
      {},
      h("tr", {}, ["Placed", "Event", "Selection", "Odds", "Stake", "Status", "Payout"].map((t) => h("th", { scope: "col" }, t))),
    ),
    h(
      "tbody",
      {},
      bets.map((bet) =>
        h(
          "tr",
          { dataset: { betId: bet.id } },
          h("td", { "data-label": "Placed" }, dateTime(bet.placed_at)),
          h("td", { "data-label": "Event" }, bet.event_name),
          h("td", { "data-label": "Selection" }, bet.selection_name),
          h("td", { class: "num", "data-label": "Odds" }, bet.odds),
          h("td", { class: "num", "data-label": "Stake" }, formatMoney(bet.stake)),
          h("td", { "data-label": "Status" }, h("span", { class: ["badge", `bet-${bet.status}`] }, betStatusLabel(bet.status))),
          h("td", { class: "num", "data-label": "Payout" }, betPayoutText(bet)),
        ),
      ),
    ),
  );
}

function betsPanel() {
  const filters = ["all", "open", "won", "lost", "void"];
  let chosen = "all";
  const bar = h("div", { class: "segmented", role: "group", "aria-label": "Show bets" });
  const list = h("div", { class: "table-wrap" });
  function draw() {
    const bets = state.bets;
    fill(bar, 
      ...filters.map((filter) => {
        const count = bets ? bets.filter((b) => filter === "all" || b.status === filter).length : 0;
        return h(
          "button",
          {
            type: "button",
            class: "segment",
            "aria-pressed": String(filter === chosen),
            onclick: () => {
              chosen = filter;
              draw();
            },
          },
          filter === "all" ? "All" : betStatusLabel(filter),
          h("span", { class: "segment-count" }, String(count)),
        );
      }),
    );
    if (bets === null) {
      fill(list, h("p", { class: "empty" }, "Loading your bets…"));
      return;
    }
    fill(list, betsTable(bets.filter((b) => chosen === "all" || b.status === chosen)));
  }
  draw();
  api.myBets().then(setBets, (error) => fill(list, h("p", { class: "form-error" }, explain(error))));
  const unsubscribe = [subscribe("bets", draw), subscribe("bet", draw)];
  return { node: h("section", { class: "card", "aria-labelledby": "bets-heading" }, h("h2", { id: "bets-heading" }, "My bets"), bar, list), stop: () => unsubscribe.forEach((u) => u()) };
}

function statementPanel() {
  const list = h("div", { class: "table-wrap" }, h("p", { class: "empty" }, "Loading your statement…"));
  let pending = null;
  async function load() {
    try {
      const entries = await api.myLedger();
      fill(list, 
        entries.length === 0
          ? h("p", { class: "empty" }, "No entries yet.")
          : h(
              "table",
              { class: "data-table ledger-table" },
              h("caption", { class: "visually-hidden" }, "Statement"),
              h("thead", {}, h("tr", {}, ["Date", "Entry", "Reference", "Amount", "Balance"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                {},
                entries.map((entry) =>
                  h(
                    "tr",
                    {},
                    h("td", { "data-label": "Date" }, dateTime(entry.created_at)),
                    h("td", { "data-label": "Entry" }, ledgerKindLabel(entry.kind)),
                    h("td", { "data-label": "Reference" }, entry.reference ?? ""),
                    h("td", { class: ["num", entry.amount < 0 ? "negative" : "positive"], "data-label": "Amount" }, formatMoney(entry.amount, { signed: true })),
                    h("td", { class: "num", "data-label": "Balance" }, formatMoney(entry.balance_after)),
                  ),
                ),
              ),
            ),
      );
    } catch (error) {
      if (error instanceof Problem) {
        fill(list, h("p", { class: "form-error" }, explain(error)));
      }
    }
  }
  load();
  // Each balance change is a new ledger entry; a burst of them reloads once.
  const unsubscribe = subscribe("balance", () => {
    clearTimeout(pending);
    pending = setTimeout(load, 800);
  });
  return {
    node: h("section", { class: "card", "aria-labelledby": "statement-heading" }, h("h2", { id: "statement-heading" }, "Statement"), list),
    stop: () => {
      unsubscribe();
      clearTimeout(pending);
    },
  };
}

function signedInView(container) {
  const user = state.user;
  const balance = h("strong", { class: "balance-large", "aria-live": "polite" }, formatMoney(user.balance));
  const logout = h("button", { type: "button", class: "button button-quiet" }, "Log out");
  logout.addEventListener("click", async () => {
    logout.disabled = true;
    try {
      await api.logout();
    } catch {
      // The local session is gone either way; the server forgets it on expiry.
    }
    toast("You are logged out.");
  });
  const tabs = [
    ["bets", "My bets"],
    ["statement", "Statement"],
  ];
  let tab = "bets";
  let panel = null;
  const tabBar = h("div", { class: "segmented", role: "group", "aria-label": "Account section" });
  const holder = h("div");
  function show() {
    panel?.stop();
    panel = tab === "bets" ? betsPanel() : statementPanel();
    fill(holder, panel.node);
    fill(tabBar, 
      ...tabs.map(([name, label]) =>
        h("button", { type: "button", class: "segment", "aria-pressed": String(name === tab), onclick: () => { tab = name; show(); } }, label),
      ),
    );
  }
  container.append(
    h(
      "section",
      { class: "card account-head" },
      h("div", {}, h("h1", {}, user.username), h("p", { class: "muted" }, user.role === "admin" ? "Administrator" : "Player")),
      h("div", { class: "account-balance" }, h("span", { class: "muted" }, "Balance"), balance),
      logout,
    ),
    tabBar,
    holder,
  );
  show();
  const unsubscribe = subscribe("balance", ({ balance: cents }) => {
    balance.textContent = formatMoney(cents);
  });
  return () => {
    unsubscribe();
    panel?.stop();
  };
}

/** Mount the account page; it redraws itself when the user signs in or out. */
export function mountAccount(container) {
  let teardown = null;
  let shownUserId;
  function draw() {
    shownUserId = state.user?.id ?? null;
    teardown?.();
    teardown = null;
    fill(container);
    if (state.user) {
      teardown = signedInView(container);
    } else {
      container.append(
        h("h1", { class: "page-title" }, "Your account"),
        h("p", { class: "muted lead" }, "Log in to bet and to follow your bets and balance. Browsing odds needs no account."),
        h("div", { class: "auth-grid" }, loginForm(), registerForm()),
      );
    }
  }
  draw();
  // A resync re-reads the same user; only a sign-in or sign-out redraws.
  const unsubscribe = subscribe("user", ({ user }) => {
    if ((user?.id ?? null) !== shownUserId) {
      draw();
    }
  });
  return () => {
    unsubscribe();
    teardown?.();
  };
}
