// The provably fair check: a table commits to sha256(secret) before betting
// closes and reveals the secret after the draw, so anyone can confirm that
// the draw was fixed before the bets came in.

/** Return true when the browser offers SHA-256 (only on https or localhost). */
export function canHash(cryptoImpl = globalThis.crypto) {
  return Boolean(cryptoImpl?.subtle?.digest);
}

/** Return the lowercase hex SHA-256 of some bytes. */
export async function sha256Hex(bytes, cryptoImpl = globalThis.crypto) {
  const digest = await cryptoImpl.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Turn a hex string into bytes, or return null when it is not hex. */
export function hexToBytes(hex) {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) {
    return null;
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

/**
 * Check a revealed secret against the commitment published before the draw.
 *
 * The secret is hashed as the text shown; when it is written in hex, the
 * bytes it spells are tried as well, since a commitment may be taken over
 * either. Returns `{ok, digest, hashedAs}` where hashedAs is "text" or "hex".
 */
export async function verifyCommitment(secret, commitment, cryptoImpl = globalThis.crypto) {
  const expected = String(commitment).trim().toLowerCase();
  const asText = await sha256Hex(new TextEncoder().encode(secret), cryptoImpl);
  if (asText === expected) {
    return { ok: true, digest: asText, hashedAs: "text" };
  }
  const bytes = hexToBytes(secret);
  if (bytes !== null) {
    const asHex = await sha256Hex(bytes, cryptoImpl);
    if (asHex === expected) {
      return { ok: true, digest: asHex, hashedAs: "hex" };
    }
  }
  return { ok: false, digest: asText, hashedAs: "text" };
}

const POCKETS = 37n;
// The largest multiple of 37 not above 2^256: digests at or past it are
// skipped, so every pocket is equally likely (no modulo bias).
const LIMIT = (2n ** 256n / POCKETS) * POCKETS;

/**
 * Recompute the pocket from a revealed secret, as docs and the server do:
 * for i = 0, 1, 2…, n = sha256(secret bytes ‖ i as 4 bytes big-endian) read
 * as a big-endian integer; the first n below LIMIT gives pocket n mod 37.
 */
export async function derivePocket(secretHex, cryptoImpl = globalThis.crypto) {
  const secret = hexToBytes(secretHex);
  if (secret === null) {
    return null;
  }
  const message = new Uint8Array(secret.length + 4);
  message.set(secret);
  const counterView = new DataView(message.buffer, secret.length, 4);
  for (let counter = 0; counter < 1000; counter += 1) {
    counterView.setUint32(0, counter, false);
    const value = BigInt(`0x${await sha256Hex(message, cryptoImpl)}`);
    if (value < LIMIT) {
      return Number(value % POCKETS);
    }
  }
  // Unreachable in practice: each try fails with probability below 2^-250.
  return null;
}
