import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import { canHash, sha256Hex, verifyCommitment } from "../js/fairness.js";

const sha = (data) => createHash("sha256").update(data).digest("hex");

test("sha256 in the browser's API agrees with a reference implementation", async () => {
  assert.equal(await sha256Hex(new TextEncoder().encode("abc")), sha("abc"));
  assert.ok(canHash());
});

test("a secret matching its commitment as text is confirmed", async () => {
  const secret = "table-3-round-981-5f1c";
  assert.deepEqual(await verifyCommitment(secret, sha(secret)), {
    ok: true,
    digest: sha(secret),
    hashedAs: "text",
  });
});

test("a hex secret committed over its bytes is confirmed", async () => {
  const secret = "00ff10ab";
  const result = await verifyCommitment(secret, sha(Buffer.from(secret, "hex")).toUpperCase());
  assert.equal(result.ok, true);
  assert.equal(result.hashedAs, "hex");
});

test("a secret that does not match is reported as not matching", async () => {
  assert.equal((await verifyCommitment("abc", sha("abd"))).ok, false);
});

// A plain reference of the server's derivation, written against node:crypto.
function referencePocket(secretHex) {
  const limit = (2n ** 256n / 37n) * 37n;
  for (let i = 0; ; i += 1) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(i);
    const digest = createHash("sha256").update(Buffer.concat([Buffer.from(secretHex, "hex"), counter])).digest("hex");
    const value = BigInt(`0x${digest}`);
    if (value < limit) {
      return Number(value % 37n);
    }
  }
}

test("the pocket recomputed in the browser matches the reference derivation", async () => {
  const { derivePocket } = await import("../js/fairness.js");
  for (let i = 0; i < 40; i += 1) {
    const secret = createHash("sha256").update(`secret ${i}`).digest("hex");
    assert.equal(await derivePocket(secret), referencePocket(secret), secret);
  }
  assert.equal(await derivePocket("not hex"), null);
});
