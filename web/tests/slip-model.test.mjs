import assert from "node:assert/strict";
import { test } from "node:test";

import {
  SlipKey,
  checkStake,
  findSelection,
  limitReason,
  newIdempotencyKey,
  potentialPayout,
} from "../js/slip-model.js";

const event = {
  id: 12,
  outcomes: [
    { index: 0, code: "home", name: "Arsenal FC" },
    { index: 1, code: "draw", name: "Draw" },
  ],
  markets: [
    {
      code: "1x2",
      selections: [
        { id: 31, code: "home", name: "Arsenal FC", odds: "2.10", max_stake: 250000, limited_by: null },
        { id: 32, code: "draw", name: "Draw", odds: "3.40", max_stake: 1250, limited_by: "draw" },
      ],
    },
  ],
};

test("a selection is found with its market by id", () => {
  assert.equal(findSelection(event, 32).selection.name, "Draw");
  assert.equal(findSelection(event, 99), null);
});

test("the maximum stake's reason names the binding outcome or the per-bet limit", () => {
  assert.equal(limitReason(event, event.markets[0].selections[1]), "exposure on Draw");
  assert.equal(limitReason(event, event.markets[0].selections[0]), "the per-bet limit");
});

test("a stake is checked against the maximum and the balance", () => {
  assert.deepEqual(checkStake("10", { maxStake: 1250, balance: 5000 }), { stake: 1000, error: null });
  assert.equal(checkStake("12.51", { maxStake: 1250 }).error, "Above the maximum stake of €12.50.");
  assert.equal(checkStake("12.51", { maxStake: 1250 }).stake, 1251);
  assert.equal(checkStake("60", { balance: 5000 }).error, "More than your balance of €50.00.");
  assert.equal(checkStake("0").stake, null);
  assert.equal(checkStake("ten").stake, null);
});

test("the potential payout uses integer odds", () => {
  assert.equal(potentialPayout(1000, "2.35"), 2350);
  assert.equal(potentialPayout(1, "1.99"), 1);
});

test("a retry of the same slip reuses its key until an answer is known", () => {
  let made = 0;
  const key = new SlipKey(() => `k${++made}`);
  const body = { event_id: 12, selection_id: 32, stake: 1000, odds: "3.40", policy: "better" };
  const first = key.forRequest(body);
  assert.equal(key.forRequest({ ...body }), first);
  assert.ok(key.pending);

  // A changed slip is a different request and must not reuse the key.
  const second = key.forRequest({ ...body, stake: 1100 });
  assert.notEqual(second, first);

  key.retire();
  assert.equal(key.pending, false);
  assert.notEqual(key.forRequest({ ...body, stake: 1100 }), second);
});

test("keys are version 4 UUIDs even without randomUUID", () => {
  const withoutRandomUuid = { getRandomValues: (a) => globalThis.crypto.getRandomValues(a) };
  const key = newIdempotencyKey(withoutRandomUuid);
  assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
