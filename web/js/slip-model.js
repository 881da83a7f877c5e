// The bet slip's rules, apart from its DOM: stake checks, payout, the reason
// behind a maximum stake and when an Idempotency-Key may be reused.

import { MoneyFormatError, formatMoney, parseAmount, parseOdds, payout } from "./money.js";

/** How a bet treats odds that moved between the slip and the server. */
export const ODDS_POLICIES = Object.freeze([
  { policy: "exact", label: "Only these odds" },
  { policy: "better", label: "These or better odds" },
  { policy: "any", label: "Any odds" },
]);

/** Find a selection and its market inside an event, or null. */
export function findSelection(event, selectionId) {
  for (const market of event?.markets ?? []) {
    for (const selection of market.selections) {
      if (selection.id === selectionId) {
        return { market, selection };
      }
    }
  }
  return null;
}

/** Name the outcome whose exposure caps a selection's maximum stake. */
export function limitReason(event, selection) {
  if (!selection.limited_by) {
    return "the per-bet limit";
  }
  const outcome = (event?.outcomes ?? []).find((o) => o.code === selection.limited_by);
  return `exposure on ${outcome ? outcome.name : selection.limited_by}`;
}

/**
 * Check a typed stake against the maximum stake and, when known, the balance.
 *
 * Returns `{stake, error}`: `stake` is in cents or null, `error` a sentence or
 * null. Being over the maximum or the balance is reported but keeps the
 * parsed stake, so the slip can still show the payout.
 */
export function checkStake(text, { maxStake = null, balance = null } = {}) {
  let stake;
  try {
    stake = parseAmount(text);
  } catch (error) {
    if (error instanceof MoneyFormatError) {
      return { stake: null, error: error.message };
    }
    throw error;
  }
  if (stake === 0) {
    return { stake: null, error: "Enter a stake above zero." };
  }
  if (maxStake !== null && stake > maxStake) {
    return { stake, error: `Above the maximum stake of ${formatMoney(maxStake)}.` };
  }
  if (balance !== null && stake > balance) {
    return { stake, error: `More than your balance of ${formatMoney(balance)}.` };
  }
  return { stake, error: null };
}

/** Return the payout in cents for a stake at odds given as a string. */
export function potentialPayout(stakeCents, oddsText) {
  return payout(stakeCents, parseOdds(oddsText));
}

/** Make a random UUID, even on plain-http pages where randomUUID is missing. */
export function newIdempotencyKey(cryptoImpl = globalThis.crypto) {
  if (typeof cryptoImpl.randomUUID === "function") {
    return cryptoImpl.randomUUID();
  }
  // randomUUID needs a secure context; getRandomValues does not.
  const bytes = cryptoImpl.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Hand out the Idempotency-Key for a slip's request.
 *
 * The same request body keeps its key until its outcome is known, so a retry
 * after a lost answer or a 503 can never place a second bet. A definite answer
 * (accepted or refused) retires the key: nothing more can happen under it,
 * and the server would replay the old answer if it came back.
 */
export class SlipKey {
  constructor(makeKey = newIdempotencyKey) {
    this._makeKey = makeKey;
    this._key = null;
    this._body = null;
  }

  /** Return the key to send with this request body. */
  forRequest(body) {
    const signature = JSON.stringify(body);
    if (this._key === null || signature !== this._body) {
      this._key = this._makeKey();
      this._body = signature;
    }
    return this._key;
  }

  /** Retire the key after the server gave a definite answer. */
  retire() {
    this._key = null;
    this._body = null;
  }

  /** Return true while an attempt with an unknown outcome holds the key. */
  get pending() {
    return this._key !== null;
  }
}
