// Every HTTP call to the Oddsmith API, and nothing else, lives here.
//
// Answers that are not 2xx become a Problem carrying the API's stable code.
// A 401 on an authenticated call triggers one token refresh and one retry;
// a second 401, or a failed refresh, ends the session.

import { Problem, networkProblem } from "./problems.js";
import * as session from "./session.js";

const TIMEOUT_MS = 15000;

// One refresh at a time: parallel 401s wait for the same new token pair.
let refreshing = null;

async function parseProblem(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // A proxy error page or an empty body: keep only the status.
  }
  let code = body.code;
  if (!code) {
    code = response.status >= 500 ? "unavailable" : "unknown";
  }
  return new Problem({ ...body, code, status: response.status });
}

async function send(method, path, { body, headers = {}, token = null }) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const finalHeaders = { Accept: "application/json", ...headers };
  if (body !== undefined) {
    finalHeaders["Content-Type"] = "application/json";
  }
  if (token) {
    finalHeaders.Authorization = `Bearer ${token}`;
  }
  try {
    return await fetch(path, {
      method,
      headers: finalHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      credentials: "same-origin",
    });
  } catch {
    // Refused, reset or timed out: the request may or may not have arrived.
    throw networkProblem();
  } finally {
    clearTimeout(timer);
  }
}

async function refreshTokens() {
  const refresh = session.refreshToken();
  if (!refresh) {
    return false;
  }
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const response = await send("POST", "/api/auth/refresh", {
          body: { refresh_token: refresh },
        });
        if (!response.ok) {
          return false;
        }
        session.store(await response.json(), { reason: "refresh" });
        return true;
      } catch {
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

/** Exchange the refresh token for a new pair; resolve to true on success. */
export const renewSession = refreshTokens;

async function call(method, path, { body, headers, auth = false } = {}) {
  let response = await send(method, path, { body, headers, token: auth ? session.accessToken() : null });
  if (auth && response.status === 401) {
    if (await refreshTokens()) {
      response = await send(method, path, { body, headers, token: session.accessToken() });
    }
    if (response.status === 401) {
      session.clear();
    }
  }
  if (!response.ok) {
    throw await parseProblem(response);
  }
  return response.status === 204 ? null : response.json();
}

function query(params) {
  const pairs = Object.entries(params).filter(([, value]) => value !== undefined && value !== "");
  return pairs.length ? `?${new URLSearchParams(pairs)}` : "";
}

// Authentication

export function register(username, password) {
  return call("POST", "/api/auth/register", { body: { username, password } });
}

export async function login(username, password) {
  const tokens = await call("POST", "/api/auth/login", { body: { username, password } });
  session.store(tokens);
  return tokens;
}

export async function logout() {
  try {
    await call("POST", "/api/auth/logout", { auth: true });
  } finally {
    // Signed out locally even when the server could not be told.
    session.clear();
  }
}

// Events and tables, open to anonymous visitors

export async function listEvents({ kind, status } = {}) {
  return (await call("GET", `/api/events${query({ kind, status })}`)).events;
}

export function getEvent(eventId) {
  return call("GET", `/api/events/${eventId}`);
}

export async function listTables() {
  return (await call("GET", "/api/roulette/tables")).tables;
}

// Betting and the account

export function placeBet(slip, idempotencyKey) {
  return call("POST", "/api/bets", {
    body: slip,
    headers: { "Idempotency-Key": idempotencyKey },
    auth: true,
  });
}

export function me() {
  return call("GET", "/api/me", { auth: true });
}

export async function myBets() {
  return (await call("GET", "/api/me/bets", { auth: true })).bets;
}

export async function myLedger() {
  return (await call("GET", "/api/me/ledger", { auth: true })).entries;
}

// Administration

export function createEvent(fields) {
  return call("POST", "/api/admin/events", { body: fields, auth: true });
}

/** Run a bodiless admin action on an event: suspend, resume, close or void. */
export function changeEvent(eventId, action) {
  return call("POST", `/api/admin/events/${eventId}/${action}`, { auth: true });
}

export function settleEvent(eventId, outcome) {
  return call("POST", `/api/admin/events/${eventId}/settle`, { body: { outcome }, auth: true });
}

export function correctEvent(eventId, outcome, reason) {
  return call("POST", `/api/admin/events/${eventId}/correct`, {
    body: { outcome, reason },
    auth: true,
  });
}

export function exposure(eventId) {
  return call("GET", `/api/admin/events/${eventId}/exposure`, { auth: true });
}

export async function fixtureFiles() {
  return (await call("GET", "/api/admin/fixtures", { auth: true })).leagues;
}

export function importFixtures(file) {
  return call("POST", "/api/admin/fixtures/import", { body: { file }, auth: true });
}

export function openTable(fields) {
  return call("POST", "/api/admin/roulette/tables", { body: fields, auth: true });
}

export function stopTable(tableId) {
  return call("POST", `/api/admin/roulette/tables/${tableId}/stop`, { auth: true });
}

export async function findUsers(username) {
  return (await call("GET", `/api/admin/users${query({ username })}`, { auth: true })).users;
}

export function setBalance(userId, balance, reason) {
  return call("PUT", `/api/admin/users/${userId}/balance`, { body: { balance, reason }, auth: true });
}

export function house() {
  return call("GET", "/api/admin/house", { auth: true });
}
