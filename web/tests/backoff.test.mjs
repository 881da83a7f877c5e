import assert from "node:assert/strict";
import { test } from "node:test";

import { reconnectDelay } from "../js/backoff.js";

test("reconnection delays double from half a second and stop at the cap", () => {
  const top = () => 1;
  assert.equal(reconnectDelay(0, { random: top }), 500);
  assert.equal(reconnectDelay(1, { random: top }), 1000);
  assert.equal(reconnectDelay(3, { random: top }), 4000);
  assert.equal(reconnectDelay(10, { random: top }), 15000);
  assert.equal(reconnectDelay(1000, { random: top }), 15000);
});

test("jitter never brings a delay under half its ceiling", () => {
  assert.equal(reconnectDelay(3, { random: () => 0 }), 2000);
});
