// Start the page: load events and tables, open the live connection, keep the
// signed-in user and balance current, and route between the views.

import * as api from "./api.js";
import { mountAccount } from "./account.js";
import { mountAdmin } from "./admin.js";
import { fill, h, toast } from "./dom.js";
import { mountEvents } from "./events.js";
import { LiveConnection } from "./live.js";
import { formatMoney } from "./money.js";
import { Problem } from "./problems.js";
import { mountLobby, mountTable } from "./roulette.js";
import { startRouter } from "./router.js";
import * as session from "./session.js";
import * as slip from "./slip.js";
import * as store from "./store.js";

// Loading

/**
 * Fetch the events worth showing on the board: open and suspended ones.
 *
 * Settled history can run to thousands of events, so it is not fetched here.
 */
async function loadEvents() {
  const [open, suspended] = await Promise.allSettled([
    api.listEvents({ status: "open" }),
    api.listEvents({ status: "suspended" }),
  ]);
  if (open.status === "rejected" && suspended.status === "rejected") {
    throw open.reason;
  }
  store.receiveEventList([
    ...(open.status === "fulfilled" ? open.value : []),
    ...(suspended.status === "fulfilled" ? suspended.value : []),
  ]);
}

async function loadTables() {
  const tables = await api.listTables();
  store.receiveTables(tables);
  // Each table's round in progress, so its countdown can show at once.
  const missing = tables.map((t) => t.current_event_id).filter((id) => id && !store.state.events.has(id));
  await Promise.allSettled(missing.map(async (id) => store.receiveEvent(await api.getEvent(id))));
}

async function loadUser() {
  if (!session.isSignedIn()) {
    store.setUser(null);
    return;
  }
  try {
    store.setUser(await api.me());
  } catch (error) {
    if (error instanceof Problem && error.code === "unauthorized") {
      store.setUser(null);
    } else {
      throw error;
    }
  }
}

/** Fetch everything again, after start-up and after each reconnection. */
async function resynchronise() {
  const results = await Promise.allSettled([loadEvents(), loadTables(), loadUser()]);
  if (results.some((r) => r.status === "rejected")) {
    toast("Some data could not be loaded. It will refresh when the connection recovers.", "error");
  }
  if (store.state.bets !== null && store.state.user) {
    api.myBets().then(store.setBets, () => {});
  }
}

// The live connection

const banner = document.getElementById("live-banner");
let bannerTimer = null;
let authRetried = false;

function showBanner({ retryInMs, everOpened }) {
  store.setConnection("down");
  clearInterval(bannerTimer);
  const until = Date.now() + retryInMs;
  const render = () => {
    const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    banner.textContent = everOpened
      ? `Live updates lost. Reconnecting${seconds ? ` in ${seconds} s` : "…"} — odds shown may be out of date.`
      : `Can't reach live updates. Retrying${seconds ? ` in ${seconds} s` : "…"}`;
  };
  render();
  banner.hidden = false;
  bannerTimer = setInterval(render, 500);
}

function hideBanner() {
  clearInterval(bannerTimer);
  banner.hidden = true;
  store.setConnection("up");
}

function authenticateSocket() {
  const token = session.accessToken();
  if (token) {
    live.send({ op: "auth", token });
  }
}

const live = new LiveConnection({
  handlers: {
    event: ({ event, previous }) => {
      if (store.receiveEvent(event, previous) === store.Verdict.GAP) {
        live.requestSnapshot(event.id);
      }
    },
    balance: ({ balance }) => store.setBalance(balance),
    bet: ({ bet }) => store.receiveBet(bet),
    table: ({ table }) => {
      store.receiveTable(table);
      const id = table.current_event_id;
      if (id && !store.state.events.has(id)) {
        api.getEvent(id).then(store.receiveEvent, () => {});
      }
    },
    auth_ok: () => {
      authRetried = false;
    },
    error: async ({ code }) => {
      // An expired access token: renew once and authenticate again.
      if (code === "unauthorized" && !authRetried && session.refreshToken()) {
        authRetried = true;
        if (await api.renewSession()) {
          authenticateSocket();
        }
      }
    },
    pong: () => {},
  },
  onOpen: ({ reconnected }) => {
    hideBanner();
    authenticateSocket();
    if (reconnected) {
      resynchronise();
    }
  },
  onDown: showBanner,
});

// The header

function drawAccountBox() {
  const box = document.getElementById("account-box");
  const user = store.state.user;
  document.getElementById("nav-admin").hidden = user?.role !== "admin";
  if (!user) {
    fill(box, h("a", { class: "button button-primary button-small", href: "#/account" }, "Log in"));
    return;
  }
  fill(box, 
    h(
      "a",
      { class: "balance-pill", href: "#/account", "aria-label": `${user.username}, balance ${formatMoney(user.balance)}` },
      h("span", { class: "balance-user" }, user.username),
      h("span", { class: "balance-amount", id: "header-balance" }, formatMoney(user.balance)),
    ),
  );
}

// Start-up

function notFound(container) {
  container.append(h("h1", { class: "page-title" }, "Page not found"), h("p", {}, h("a", { href: "#/" }, "Back to the events")));
}

function start() {
  slip.mountSlip(document.getElementById("slip"));
  drawAccountBox();
  store.subscribe("user", drawAccountBox);
  store.subscribe("balance", ({ balance }) => {
    const amount = document.getElementById("header-balance");
    if (amount) {
      amount.textContent = formatMoney(balance);
      amount.parentElement.setAttribute("aria-label", `${store.state.user.username}, balance ${formatMoney(balance)}`);
    }
  });

  session.onChange(({ signedIn, reason }) => {
    if (reason === "refresh") {
      authenticateSocket();
      return;
    }
    if (signedIn) {
      loadUser();
      authenticateSocket();
    } else {
      store.setUser(null);
      // The socket stays authenticated as the old user; a fresh one is anonymous.
      live.restart();
    }
  });

  // Without the live feed a placed bet would not move the balance shown.
  slip.onChange(({ placed }) => {
    if (placed && store.state.connection !== "up") {
      loadUser();
    }
  });

  const main = document.getElementById("main");
  startRouter(
    [
      ["/", mountEvents],
      ["/roulette", mountLobby],
      ["/roulette/:id", mountTable],
      ["/account", mountAccount],
      ["/admin", mountAdmin],
      ["/admin/:section", mountAdmin],
    ],
    main,
    { notFound },
  );
  window.addEventListener("hashchange", () => {
    if (window.location.hash.startsWith("#/")) {
      main.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  });
  window.addEventListener("online", () => live.hurry());

  resynchronise();
  live.start();
}

start();
