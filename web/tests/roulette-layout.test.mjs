import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BOARD_CODES,
  WHEEL_ORDER,
  boardCells,
  covers,
  describeBet,
  pocketColour,
} from "../js/roulette-layout.js";

test("the wheel holds each of the 37 pockets once", () => {
  assert.equal(WHEEL_ORDER.length, 37);
  assert.deepEqual([...WHEEL_ORDER].sort((a, b) => a - b), Array.from({ length: 37 }, (_, n) => n));
});

test("colours alternate around the wheel after zero", () => {
  assert.equal(pocketColour(0), "green");
  for (let i = 1; i < WHEEL_ORDER.length - 1; i += 1) {
    assert.notEqual(pocketColour(WHEEL_ORDER[i]), pocketColour(WHEEL_ORDER[i + 1]));
  }
});

test("each bet covers the pockets printed on the felt", () => {
  const covered = (code) => Array.from({ length: 37 }, (_, n) => n).filter((n) => covers(code, n));
  assert.deepEqual(covered("17"), [17]);
  assert.equal(covered("red").length, 18);
  assert.equal(covered("black").length, 18);
  assert.deepEqual(covered("c1").slice(0, 3), [1, 4, 7]);
  assert.deepEqual(covered("c3").slice(-2), [33, 36]);
  assert.deepEqual(covered("d2"), Array.from({ length: 12 }, (_, i) => 13 + i));
  assert.equal(covered("low").at(-1), 18);
  assert.equal(covered("even").includes(0), false);
});

test("the board places 3 on top of 2 on top of 1 and no two cells overlap", () => {
  const cells = boardCells();
  assert.equal(cells.length, BOARD_CODES.length);
  const at = Object.fromEntries(cells.map((c) => [c.code, c]));
  assert.equal(at["3"].horizontal.row, 1);
  assert.equal(at["1"].horizontal.row, 3);
  assert.equal(at["1"].horizontal.col, at["3"].horizontal.col);
  assert.equal(at.c1.horizontal.row, at["34"].horizontal.row);

  for (const orientation of ["horizontal", "upright"]) {
    const taken = new Set();
    for (const cell of cells) {
      const { row, col, rowSpan, colSpan } = cell[orientation];
      for (let r = row; r < row + rowSpan; r += 1) {
        for (let c = col; c < col + colSpan; c += 1) {
          const spot = `${r},${c}`;
          assert.equal(taken.has(spot), false, `${orientation} ${cell.code} at ${spot}`);
          taken.add(spot);
        }
      }
    }
  }
  // Upright, 1 sits left of 3 in the first row of numbers, as on a real table.
  assert.ok(at["1"].upright.col < at["3"].upright.col);
  assert.equal(at["1"].upright.row, at["3"].upright.row);
});

test("bets are described in words", () => {
  assert.equal(describeBet("17"), "Straight up 17");
  assert.equal(describeBet("c2"), "Column 2");
  assert.equal(describeBet("d1"), "Dozen 1 (1st 12)");
  assert.equal(describeBet("red"), "Red");
});
