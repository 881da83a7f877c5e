import assert from "node:assert/strict";
import { test } from "node:test";

import { Problem, explain, isRetryable, networkProblem } from "../js/problems.js";

test("changed odds name the old and the new odds", () => {
  const problem = new Problem({ code: "odds_changed", status: 409, current: { odds: "3.10" } });
  assert.equal(
    explain(problem, { selectionName: "Draw", askedOdds: "3.40" }),
    "The odds on Draw changed from 3.40 to 3.10 before your bet was placed. Take the new odds to try again.",
  );
});

test("a stake over the maximum names the current maximum in euros", () => {
  const problem = new Problem({ code: "over_max_stake", current: { max_stake: 1250 } });
  assert.match(explain(problem, { selectionName: "Draw" }), /maximum on Draw, which is €12\.50/);
});

test("every documented bet refusal reads as a sentence, not a code", () => {
  for (const code of [
    "insufficient_balance",
    "event_not_open",
    "stake_too_small",
    "unauthorized",
    "idempotency_conflict",
    "unavailable",
    "rate_limited",
    "network",
  ]) {
    const sentence = explain(new Problem({ code }));
    assert.doesNotMatch(sentence, /_/, code);
    assert.match(sentence, /\.$/, code);
  }
});

test("an unknown code falls back to the server's own detail", () => {
  const problem = new Problem({ code: "brand_new", detail: "Try later." });
  assert.equal(explain(problem), "Try later.");
});

test("only refusals with an unknown outcome are retried under the same key", () => {
  assert.ok(isRetryable(networkProblem()));
  assert.ok(isRetryable(new Problem({ code: "unavailable", status: 503 })));
  assert.ok(isRetryable(new Problem({ code: "whatever", status: 502 })));
  assert.equal(isRetryable(new Problem({ code: "odds_changed", status: 409 })), false);
});
