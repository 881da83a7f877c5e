import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MoneyFormatError,
  centsToInput,
  compareOdds,
  formatMoney,
  formatOdds,
  parseAmount,
  parseOdds,
  payout,
} from "../js/money.js";

test("amounts typed in euros become exact cents without floating point", () => {
  assert.equal(parseAmount("12"), 1200);
  assert.equal(parseAmount("12.5"), 1250);
  assert.equal(parseAmount("12.50"), 1250);
  assert.equal(parseAmount("0.29"), 29);
  assert.equal(parseAmount("0.07"), 7);
  assert.equal(parseAmount("12,05"), 1205);
  assert.equal(parseAmount(" € 1 000.10 "), 100010);
  assert.equal(parseAmount("3."), 300);
});

test("amounts that cannot be read exactly are refused, not rounded", () => {
  for (const text of ["", "abc", "-5", "1.234", "1e3", "12.5.0", ".50", "+3", "1,000.00"]) {
    assert.throws(() => parseAmount(text), MoneyFormatError, text);
  }
});

test("cents render for reading with grouping and a true minus sign", () => {
  assert.equal(formatMoney(0), "€0.00");
  assert.equal(formatMoney(5), "€0.05");
  assert.equal(formatMoney(123456789), "€1,234,567.89");
  assert.equal(formatMoney(-1250), "\u2212€12.50");
  assert.equal(formatMoney(1250, { signed: true }), "+€12.50");
  assert.equal(centsToInput(100010), "1000.10");
});

test("odds strings round-trip through hundredths", () => {
  assert.equal(parseOdds("2.35"), 235);
  assert.equal(parseOdds("1.01"), 101);
  assert.equal(parseOdds("36.00"), 3600);
  assert.equal(formatOdds(235), "2.35");
  assert.equal(formatOdds(3600), "36.00");
  assert.ok(compareOdds("2.10", "2.05") > 0);
  for (const text of ["2.3", "0.95", "2", "abc", "02.35"]) {
    assert.throws(() => parseOdds(text), MoneyFormatError, text);
  }
});

test("payout is stake times odds rounded down to the cent", () => {
  assert.equal(payout(1000, 235), 2350);
  assert.equal(payout(333, 235), 782); // 782.55 rounds down
  assert.equal(payout(1, 199), 1); // 1.99 rounds down
  // Past 2^53 a Number product would lose cents; BigInt does not.
  assert.equal(payout(99_999_999_999, 99_999), 99_998_999_999_000);
});
