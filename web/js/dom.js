// A small element builder. Text always goes in through textContent, never as
// markup, so names typed by users or admins cannot inject anything.

const SVG_NS = "http://www.w3.org/2000/svg";

function assign(node, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === "class") {
      node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "text") {
      node.textContent = value;
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Build an HTML element: h("button", {class: "odds", onclick}, "2.10").
 *
 * Attributes go through setAttribute, listeners through addEventListener,
 * and strings become text nodes.
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  assign(node, props);
  append(node, children);
  return node;
}

/** Replace a node's children; accepts the same children as h(), nulls and arrays included. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Build an SVG element the same way. */
export function svg(tag, props = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  assign(node, props);
  append(node, children);
  return node;
}

/** Restart a short CSS animation class on a node, even if it is already running. */
export function flash(node, className, durationMs = 1600) {
  node.classList.remove("flash-up", "flash-down");
  // Reading layout forces the removal to take effect before the class returns.
  void node.offsetWidth;
  node.classList.add(className);
  clearTimeout(node._flashTimer);
  node._flashTimer = setTimeout(() => node.classList.remove(className), durationMs);
}

/** Show a short message in the corner; it goes away by itself. */
export function toast(message, tone = "info") {
  const host = document.getElementById("toasts");
  if (!host) {
    return;
  }
  const note = h("div", { class: ["toast", `toast-${tone}`], role: "status" }, message);
  host.append(note);
  setTimeout(() => note.remove(), 5000);
}

/** Build a labelled form field: a label wrapping its caption and control. */
export function field(caption, control, hint = null) {
  return h(
    "label",
    { class: "field" },
    h("span", { class: "field-caption" }, caption),
    control,
    hint ? h("span", { class: "field-hint" }, hint) : null,
  );
}
