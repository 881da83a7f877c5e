// Money and odds arithmetic for the browser, done with integers only.
//
// Money is an integer number of cents and odds are an integer number of
// hundredths, exactly as on the wire and in the ledger. Strings typed by a
// person are parsed digit by digit so that "0.29" never becomes 28.999… cents.

const STAKE_PATTERN = /^(\d{1,10})(?:[.,](\d{0,2}))?$/;
const ODDS_PATTERN = /^([1-9]\d{0,3})\.(\d{2})$/;

/** Raised when a typed amount or an odds string cannot be read. */
export class MoneyFormatError extends Error {
  constructor(message) {
    super(message);
    this.name = "MoneyFormatError";
  }
}

/**
 * Parse an amount typed in euros ("12", "12.5", "12,50", "€ 1 000.00") into cents.
 *
 * A comma is accepted as the decimal mark because half of Europe types one;
 * grouping spaces and a leading euro sign are ignored. Anything else, a third
 * decimal or a sign included, is refused rather than rounded.
 */
export function parseAmount(text) {
  const compact = String(text ?? "").replace(/[\s\u00a0\u202f]/g, "").replace(/^€/, "");
  if (compact === "") {
    throw new MoneyFormatError("Enter an amount.");
  }
  const match = STAKE_PATTERN.exec(compact);
  if (match === null) {
    throw new MoneyFormatError("Enter an amount in euros, such as 12.50.");
  }
  const euros = Number(match[1]);
  const cents = Number((match[2] ?? "").padEnd(2, "0"));
  return euros * 100 + cents;
}

/** Render cents as a plain decimal ("1234.50") suitable for an input field. */
export function centsToInput(cents) {
  const sign = cents < 0 ? "-" : "";
  const magnitude = Math.abs(cents);
  const euros = Math.floor(magnitude / 100);
  return `${sign}${euros}.${String(magnitude % 100).padStart(2, "0")}`;
}

/** Render cents for reading: "€1,234.50", with a true minus sign when negative. */
export function formatMoney(cents, { signed = false } = {}) {
  const magnitude = Math.abs(cents);
  const euros = String(Math.floor(magnitude / 100)).replace(/\B(?=(\d{3})+$)/g, ",");
  const body = `€${euros}.${String(magnitude % 100).padStart(2, "0")}`;
  if (cents < 0) {
    return `\u2212${body}`;
  }
  return signed && cents > 0 ? `+${body}` : body;
}

/** Parse a two-place odds string such as "2.35" into hundredths (235). */
export function parseOdds(text) {
  const match = ODDS_PATTERN.exec(String(text ?? "").trim());
  if (match === null) {
    throw new MoneyFormatError("Odds look like 2.35: at least 1.00, two decimals.");
  }
  return Number(match[1]) * 100 + Number(match[2]);
}

/** Render odds held in hundredths as the two-place wire string. */
export function formatOdds(hundredths) {
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, "0")}`;
}

/**
 * Return what a winning stake pays back at the given odds, rounded down to the cent.
 *
 * The product goes through BigInt: a large stake times large odds can pass
 * 2^53, where Number would start dropping cents silently.
 */
export function payout(stakeCents, oddsHundredths) {
  return Number((BigInt(stakeCents) * BigInt(oddsHundredths)) / 100n);
}

/** Compare two odds strings: negative when a is shorter, positive when longer. */
export function compareOdds(a, b) {
  return parseOdds(a) - parseOdds(b);
}
