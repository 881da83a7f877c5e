import assert from "node:assert/strict";
import { test } from "node:test";

import { Verdict, classify, shouldApply } from "../js/versions.js";

test("the first snapshot of an event is applied", () => {
  assert.equal(classify(undefined, 7), Verdict.FIRST);
  assert.ok(shouldApply(Verdict.FIRST));
});

test("the next version is applied without asking for anything", () => {
  assert.equal(classify(4, 5), Verdict.NEXT);
  assert.ok(shouldApply(Verdict.NEXT));
});

test("a jump of more than one version is a gap, still applied", () => {
  assert.equal(classify(4, 6), Verdict.GAP);
  assert.ok(shouldApply(Verdict.GAP));
});

test("a repeated or older version is ignored", () => {
  assert.equal(classify(4, 4), Verdict.STALE);
  assert.equal(classify(4, 2), Verdict.STALE);
  assert.equal(shouldApply(Verdict.STALE), false);
});

test("a folded update is not a gap when the previous message was held", () => {
  // The relay folded versions 5 and 6 into one message after sending 4.
  assert.equal(classify(4, 6, 4), Verdict.NEXT);
  // Holding 3 when the relay's last message carried 4 means one was missed.
  assert.equal(classify(3, 6, 4), Verdict.GAP);
});
