// A horizontal bar chart in inline SVG, drawn from plain numbers.
//
// Bars grow right from zero for positive values and left for negative ones,
// so a house result per outcome reads as win or loss at a glance. An optional
// limit (the exposure budget) is drawn as a dashed line.

import { svg } from "./dom.js";

const ROW = 26;
const LABEL_WIDTH = 190;
const VALUE_WIDTH = 96;
const WIDTH = 640;

function truncate(text, max = 26) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Draw `rows` (`[{label, value}]`) as bars.
 *
 * `format` renders a value for its label; `limit` adds a dashed line at that
 * value; `tone` picks colours: "plain" for one colour, "signed" for green
 * above zero and red below.
 */
export function barChart({ title, rows, format, limit = null, tone = "plain" }) {
  const values = rows.map((r) => r.value);
  const top = Math.max(0, ...values, limit ?? 0);
  const bottom = Math.min(0, ...values);
  const span = top - bottom || 1;
  const plotLeft = LABEL_WIDTH;
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const x = (value) => plotLeft + ((value - bottom) / span) * plotWidth;
  const height = rows.length * ROW + 24;

  const chart = svg("svg", {
    class: "bar-chart",
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: "img",
    "aria-label": `${title}: ${rows.map((r) => `${r.label} ${format(r.value)}`).join("; ")}`,
  });
  chart.append(svg("title", {}, title));

  rows.forEach((row, i) => {
    const y = 8 + i * ROW;
    const start = x(Math.min(0, row.value));
    const width = Math.max(Math.abs(x(row.value) - x(0)), row.value === 0 ? 0 : 1.5);
    let barClass = "bar";
    if (tone === "signed") {
      barClass += row.value < 0 ? " bar-negative" : " bar-positive";
    } else if (limit !== null && row.value >= limit) {
      barClass += " bar-at-limit";
    }
    chart.append(
      svg("text", { x: LABEL_WIDTH - 8, y: y + ROW / 2, class: "chart-label" }, truncate(row.label)),
      svg("rect", { x: start.toFixed(1), y: y + 4, width: width.toFixed(1), height: ROW - 8, rx: 3, class: barClass }, svg("title", {}, `${row.label}: ${format(row.value)}`)),
      svg("text", { x: WIDTH - 4, y: y + ROW / 2, class: ["chart-value", row.value < 0 && tone === "signed" ? "negative" : ""] }, format(row.value)),
    );
  });

  const axisY = 8 + rows.length * ROW;
  chart.append(svg("line", { x1: x(0), x2: x(0), y1: 4, y2: axisY, class: "chart-axis" }));
  if (limit !== null) {
    chart.append(
      svg("line", { x1: x(limit), x2: x(limit), y1: 4, y2: axisY, class: "chart-limit" }),
      svg("text", { x: x(limit), y: axisY + 13, class: "chart-limit-label" }, `budget ${format(limit)}`),
    );
  }
  return chart;
}
