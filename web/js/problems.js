// Turn the API's problem documents into sentences a person can act on.
//
// The server's `code` is stable while its `title` and `detail` may change, so
// the wording is chosen here by code. The server's `detail` is only shown for
// codes this table does not know, and for schema refusals where it names the
// field at fault.

import { formatMoney } from "./money.js";

/** A refusal from the API (or from the network) carried as an exception. */
export class Problem extends Error {
  constructor({ code = "unknown", status = 0, title = "", detail = "", current = null } = {}) {
    super(title || code);
    this.name = "Problem";
    this.code = code;
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.current = current;
  }
}

/** Build the Problem for a fetch that never got an answer. */
export function networkProblem() {
  return new Problem({ code: "network", title: "No connection" });
}

/**
 * Return true when the refusal leaves the outcome unknown or says "try again".
 *
 * A bet retried after these must carry the same Idempotency-Key: the first
 * attempt may have been placed even though its answer was lost.
 */
export function isRetryable(problem) {
  return (
    problem.code === "network" ||
    problem.code === "unavailable" ||
    problem.code === "rate_limited" ||
    problem.status >= 500
  );
}

/**
 * Explain a problem in one or two sentences.
 *
 * `context` may carry `selectionName`, `askedOdds` (the odds sent with a bet)
 * and `balance` (cents) to make the sentence concrete.
 */
export function explain(problem, context = {}) {
  const current = problem.current ?? {};
  const on = context.selectionName ? ` on ${context.selectionName}` : "";
  switch (problem.code) {
    case "odds_changed":
      if (current.odds && context.askedOdds) {
        return `The odds${on} changed from ${context.askedOdds} to ${current.odds} before your bet was placed. Take the new odds to try again.`;
      }
      return `The odds${on} changed before your bet was placed.`;
    case "over_max_stake":
      if (Number.isInteger(current.max_stake)) {
        return `Your stake is over the maximum${on}, which is ${formatMoney(current.max_stake)} right now.`;
      }
      return `Your stake is over the maximum${on}.`;
    case "stake_too_small":
      return "Your stake is below the minimum stake.";
    case "insufficient_balance":
      if (Number.isInteger(context.balance)) {
        return `You don't have enough balance for this stake: your balance is ${formatMoney(context.balance)}.`;
      }
      return "You don't have enough balance for this stake.";
    case "event_not_open":
      return "Betting on this event is closed at the moment, so the bet was not placed.";
    case "unauthorized":
      return "Your session has ended. Please log in again.";
    case "invalid_credentials":
      return "That username and password don't match an account.";
    case "username_taken":
      return "That username is already taken. Please choose another.";
    case "forbidden":
      return "Your account is not allowed to do that.";
    case "not_found":
      return "That no longer exists. It may have been removed.";
    case "invalid_transition":
      return "That action isn't possible in the event's current state.";
    case "idempotency_conflict":
      return "This slip was already sent with different details. Please place it again.";
    case "unavailable":
      return "The betting service didn't answer in time. Try again: the same slip is never placed twice.";
    case "rate_limited":
      return "Too many requests in a short time. Wait a moment, then try again.";
    case "network":
      return "Oddsmith can't be reached. Check your connection and try again.";
    case "invalid_request":
      return problem.detail
        ? `Some details were not accepted: ${problem.detail}`
        : "Some details were not accepted. Please check the form.";
    default:
      return problem.detail || problem.title || "Something went wrong. Please try again.";
  }
}
