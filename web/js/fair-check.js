// The provably fair panel of a roulette round: the commitment before the
// draw, the secret after it, and the browser's own SHA-256 check between them.

import { fill, h } from "./dom.js";
import { canHash, derivePocket, verifyCommitment } from "./fairness.js";
import { pocketColour } from "./roulette-layout.js";

function hexBlock(label, value, placeholder) {
  return h(
    "div",
    { class: "fair-line" },
    h("span", { class: "fair-label" }, label),
    value ? h("code", { class: "fair-value" }, value) : h("span", { class: "fair-value muted" }, placeholder),
  );
}

/** Run both checks of a revealed spin; return `[ok, sentence]` pairs. */
async function check(spin) {
  const commitment = await verifyCommitment(spin.secret, spin.commitment);
  const lines = [
    commitment.ok
      ? [true, "sha256(secret) equals the commitment: the secret was fixed before betting opened."]
      : [false, "sha256(secret) does NOT equal the commitment. Please report this round."],
  ];
  if (spin.pocket !== null && spin.pocket !== undefined) {
    const derived = await derivePocket(spin.secret);
    lines.push(
      derived === spin.pocket
        ? [true, `The secret gives pocket ${derived}, the pocket drawn.`]
        : [false, `The secret gives pocket ${derived}, but ${spin.pocket} was drawn. Please report this round.`],
    );
  }
  return lines;
}

/** Build the check for one round's spin; the verdict fills in asynchronously. */
export function roundCheck(title, event) {
  const spin = event?.spin;
  const verdict = h("p", { class: "fair-verdict", "aria-live": "polite" });
  const block = h(
    "div",
    { class: "fair-round" },
    h("h3", {}, title, event ? h("span", { class: "muted" }, ` · round #${event.id}`) : null),
    hexBlock("Commitment", spin?.commitment, "Published when the round opens."),
    hexBlock("Secret", spin?.secret, "Revealed after the draw."),
    spin?.pocket !== null && spin?.pocket !== undefined
      ? hexBlock("Pocket", `${spin.pocket} ${pocketColour(spin.pocket)}`, "")
      : null,
    verdict,
  );
  if (!spin?.commitment) {
    verdict.textContent = "No commitment yet.";
  } else if (!spin.secret) {
    verdict.textContent = "Committed: the result is already fixed and cannot change.";
    verdict.className = "fair-verdict is-pending";
  } else if (!canHash()) {
    verdict.textContent =
      "This browser computes SHA-256 only on https or localhost pages. Check by hand: the hash of the secret must equal the commitment.";
  } else {
    verdict.textContent = "Checking sha256(secret)…";
    check(spin).then(
      (lines) => {
        fill(verdict, ...lines.map(([ok, text]) => h("span", { class: ["fair-check", ok ? "is-ok" : "is-bad"] }, h("span", { class: "fair-mark", "aria-hidden": "true" }, ok ? "✓" : "✗"), ` ${text}`)));
        verdict.className = "fair-verdict";
      },
      () => {
        verdict.textContent = "The check could not run in this browser.";
      },
    );
  }
  return block;
}

/** The fixed explanation shown under the checks. */
export function fairnessExplainer() {
  return h(
    "div",
    { class: "fair-explain" },
    h("h3", {}, "How to verify a round"),
    h(
      "ol",
      {},
      h("li", {}, "When a round opens, the table draws a random 32-byte secret and publishes only its SHA-256 hash: the commitment."),
      h("li", {}, "The pocket follows from the secret alone, so the result is fixed before the first bet; the commitment shows the secret cannot be swapped later."),
      h("li", {}, "After the draw the secret is revealed (in hex). sha256(secret bytes) must equal the commitment: this page computes it in your browser and shows a tick."),
      h(
        "li",
        {},
        "The pocket: for i = 0, 1, 2…, take n = sha256(secret ‖ i as 4 bytes, big-endian) as a 256-bit number; the first n below 37 × ⌊2²⁵⁶ / 37⌋ gives pocket n mod 37. This page recomputes that too.",
      ),
      h("li", {}, "To check on your own computer: echo SECRET | xxd -r -p | sha256sum must print the commitment."),
    ),
  );
}
