// The roulette wheel, drawn in SVG. The rotor turns with a CSS transition
// and stops with the server's pocket under the pointer at the top; the ball
// runs the other way and drops in at the same spot.

import { svg } from "./dom.js";
import { WHEEL_ORDER, pocketColour } from "./roulette-layout.js";

const STEP = 360 / WHEEL_ORDER.length;
const OUTER = 96;
const INNER = 66;

function polar(radius, degrees) {
  const radians = ((degrees - 90) * Math.PI) / 180;
  return [radius * Math.cos(radians), radius * Math.sin(radians)];
}

function pocketPath(index) {
  const from = index * STEP - STEP / 2;
  const to = from + STEP;
  const [x1, y1] = polar(OUTER, from);
  const [x2, y2] = polar(OUTER, to);
  const [x3, y3] = polar(INNER, to);
  const [x4, y4] = polar(INNER, from);
  const r = (n) => n.toFixed(3);
  return `M${r(x1)} ${r(y1)}A${OUTER} ${OUTER} 0 0 1 ${r(x2)} ${r(y2)}L${r(x3)} ${r(y3)}A${INNER} ${INNER} 0 0 0 ${r(x4)} ${r(y4)}Z`;
}

/** Build a wheel; returns `{node, spinTo(pocket), show(pocket)}`. */
export function createWheel() {
  const rotor = svg("g", { class: "wheel-rotor" });
  WHEEL_ORDER.forEach((pocket, index) => {
    const [tx, ty] = polar((OUTER + INNER) / 2 + 4, index * STEP);
    rotor.append(
      svg("path", { d: pocketPath(index), class: `wheel-pocket wheel-${pocketColour(pocket)}`, dataset: { pocket } }),
      svg(
        "text",
        {
          x: tx.toFixed(2),
          y: ty.toFixed(2),
          class: "wheel-number",
          transform: `rotate(${(index * STEP).toFixed(3)} ${tx.toFixed(2)} ${ty.toFixed(2)})`,
        },
        String(pocket),
      ),
    );
  });
  rotor.append(
    svg("circle", { r: INNER - 1, class: "wheel-bowl" }),
    svg("circle", { r: 28, class: "wheel-cone" }),
    ...[0, 45, 90, 135].map((angle) => svg("rect", { x: -2, y: -40, width: 4, height: 80, rx: 2, class: "wheel-spoke", transform: `rotate(${angle})` })),
    svg("circle", { r: 9, class: "wheel-hub" }),
  );
  const ball = svg("g", { class: "wheel-ball" }, svg("circle", { cx: 0, cy: -(INNER + 6), r: 4.2 }));
  const node = svg(
    "svg",
    { class: "wheel", viewBox: "-100 -104 200 208", role: "img", "aria-label": "Roulette wheel" },
    svg("circle", { r: 99, class: "wheel-rim" }),
    rotor,
    ball,
    svg("path", { d: "M-6 -104 L6 -104 L0 -92 Z", class: "wheel-pointer" }),
  );

  let rotation = 0;
  let ballRotation = 0;

  function angleFor(pocket) {
    // Turning the rotor by -index*STEP brings that pocket to the top.
    return -WHEEL_ORDER.indexOf(pocket) * STEP;
  }

  /** Turn the wheel forward a few times and stop on `pocket`; resolves when done. */
  function spinTo(pocket, { durationMs = 5200 } = {}) {
    const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const target = angleFor(pocket);
    const turns = reduced ? 0 : 4;
    const delta = (((target - rotation) % 360) + 360) % 360;
    rotation += turns * 360 + delta;
    ballRotation -= (reduced ? 0 : 6) * 360 + (((ballRotation % 360) + 360) % 360);
    const ms = reduced ? 200 : durationMs;
    node.style.setProperty("--spin-ms", `${ms}ms`);
    node.classList.add("is-spinning");
    node.classList.remove("has-ball");
    rotor.style.transform = `rotate(${rotation}deg)`;
    ball.style.transform = `rotate(${ballRotation}deg)`;
    node.setAttribute("aria-label", "Roulette wheel, spinning");
    return new Promise((resolve) => {
      setTimeout(() => {
        node.classList.remove("is-spinning");
        node.classList.add("has-ball");
        node.setAttribute("aria-label", `Roulette wheel, the ball is in ${pocket} ${pocketColour(pocket)}`);
        resolve();
      }, ms);
    });
  }

  /** Set the wheel on a pocket at once, without animation. */
  function show(pocket) {
    rotation = angleFor(pocket);
    ballRotation = 0;
    node.classList.remove("is-spinning");
    rotor.style.transform = `rotate(${rotation}deg)`;
    ball.style.transform = "rotate(0deg)";
    node.classList.add("has-ball");
    node.setAttribute("aria-label", `Roulette wheel, the ball is in ${pocket} ${pocketColour(pocket)}`);
  }

  /** Show the wheel with no result: the ball is off the wheel. */
  function reset() {
    node.classList.remove("has-ball");
    node.setAttribute("aria-label", "Roulette wheel, waiting for the draw");
  }

  return { node, spinTo, show, reset };
}
