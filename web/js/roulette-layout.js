// The single-zero roulette table: pocket colours, the order of pockets around
// the wheel, and where each bet sits on the board. No DOM here, so the layout
// and the "does this bet win" rule are tested directly.

/** Pockets coloured red on a European wheel; the rest but zero are black. */
export const RED_POCKETS = new Set([
  1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36,
]);

/** Pockets clockwise around a European wheel, starting at zero. */
export const WHEEL_ORDER = Object.freeze([
  0, 32, 15, 19, 4, 21, 2, 25, 17, 34, 6, 27, 13, 36, 11, 30, 8, 23, 10, 5, 24, 16, 33, 1,
  20, 14, 31, 9, 22, 18, 29, 7, 28, 12, 35, 3, 26,
]);

/** Return "green", "red" or "black" for a pocket. */
export function pocketColour(pocket) {
  if (pocket === 0) {
    return "green";
  }
  return RED_POCKETS.has(pocket) ? "red" : "black";
}

/** Return true when a bet on `code` wins if the ball lands in `pocket`. */
export function covers(code, pocket) {
  if (/^\d+$/.test(code)) {
    return Number(code) === pocket;
  }
  // Zero loses every outside bet.
  if (pocket === 0) {
    return false;
  }
  switch (code) {
    case "red":
      return RED_POCKETS.has(pocket);
    case "black":
      return !RED_POCKETS.has(pocket);
    case "odd":
      return pocket % 2 === 1;
    case "even":
      return pocket % 2 === 0;
    case "low":
      return pocket <= 18;
    case "high":
      return pocket >= 19;
    case "d1":
    case "d2":
    case "d3":
      return Math.ceil(pocket / 12) === Number(code[1]);
    case "c1":
    case "c2":
    case "c3":
      return ((pocket - 1) % 3) + 1 === Number(code[1]);
    default:
      return false;
  }
}

/** Labels for the outside bets, as printed on a table's felt. */
export const OUTSIDE_LABELS = Object.freeze({
  low: "1–18",
  high: "19–36",
  even: "Even",
  odd: "Odd",
  red: "Red",
  black: "Black",
  d1: "1st 12",
  d2: "2nd 12",
  d3: "3rd 12",
  c1: "2 to 1",
  c2: "2 to 1",
  c3: "2 to 1",
});

/** Describe a bet for a person: "Straight up 17", "Red", "Column 1". */
export function describeBet(code) {
  if (/^\d+$/.test(code)) {
    return `Straight up ${code}`;
  }
  if (code.startsWith("c")) {
    return `Column ${code[1]}`;
  }
  if (code.startsWith("d")) {
    return `Dozen ${code[1]} (${OUTSIDE_LABELS[code]})`;
  }
  return OUTSIDE_LABELS[code] ?? code;
}

// The board laid out as seen from the croupier: three rows of numbers with 3,
// 6, 9… on top, zero on the left, columns at the right end, dozens and the
// even-money bets below. Rows and columns are 1-based grid lines.
const HORIZONTAL_ROWS = 5;

function horizontalPlace(code) {
  if (code === "0") {
    return { row: 1, col: 1, rowSpan: 3, colSpan: 1 };
  }
  if (/^\d+$/.test(code)) {
    const n = Number(code);
    return { row: 3 - ((n - 1) % 3), col: 2 + Math.floor((n - 1) / 3), rowSpan: 1, colSpan: 1 };
  }
  if (code.startsWith("c")) {
    return { row: 4 - Number(code[1]), col: 14, rowSpan: 1, colSpan: 1 };
  }
  if (code.startsWith("d")) {
    return { row: 4, col: 2 + 4 * (Number(code[1]) - 1), rowSpan: 1, colSpan: 4 };
  }
  const evenMoney = ["low", "even", "red", "black", "odd", "high"];
  return { row: 5, col: 2 + 2 * evenMoney.indexOf(code), rowSpan: 1, colSpan: 2 };
}

/**
 * Turn a horizontal place into the upright board used on narrow screens.
 *
 * Rows become columns and the result is mirrored, so 1, 4, 7… read down the
 * left of the numbers and the outside bets sit beside them, as on a real
 * table seen from its long side.
 */
function upright({ row, col, rowSpan, colSpan }) {
  return { row: col, col: HORIZONTAL_ROWS + 2 - row - rowSpan, rowSpan: colSpan, colSpan: rowSpan };
}

/** Every bet code on the board, in reading order. */
export const BOARD_CODES = Object.freeze([
  ...Array.from({ length: 37 }, (_, n) => String(n)),
  "c1", "c2", "c3", "d1", "d2", "d3", "low", "even", "red", "black", "odd", "high",
]);

/** Return the board cells with both placements and a colour for each code. */
export function boardCells() {
  return BOARD_CODES.map((code) => {
    const horizontal = horizontalPlace(code);
    let colour = "outside";
    if (/^\d+$/.test(code)) {
      colour = pocketColour(Number(code));
    } else if (code === "red" || code === "black") {
      colour = code;
    }
    const label = /^\d+$/.test(code) ? code : OUTSIDE_LABELS[code];
    return { code, label, colour, horizontal, upright: upright(horizontal) };
  });
}
