// Hash routes ("#/roulette/3"): the page never reloads, and the server only
// has to serve index.html. Hashes that do not start with "#/" are left to
// the browser, so in-page anchors such as the skip link keep working.

/**
 * Route table entries are `[pattern, mount]`, where a pattern such as
 * "/roulette/:id" names its parameters and `mount(container, params)` draws a
 * view and returns a function that tears it down.
 */
export function startRouter(routes, container, { notFound }) {
  let unmount = null;
  const compiled = routes.map(([pattern, mount]) => {
    const names = [];
    const source = pattern.replace(/:(\w+)/g, (_, name) => {
      names.push(name);
      return "([^/]+)";
    });
    return { regex: new RegExp(`^${source}/?$`), names, mount };
  });

  function show() {
    const hash = window.location.hash;
    if (hash && !hash.startsWith("#/")) {
      return;
    }
    const path = hash.slice(1) || "/";
    let mount = notFound;
    let params = {};
    for (const route of compiled) {
      const match = route.regex.exec(path);
      if (match) {
        mount = route.mount;
        params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
        break;
      }
    }
    unmount?.();
    container.replaceChildren();
    unmount = mount(container, params) ?? null;
    markCurrentLink(path);
    // Lets the stylesheet give a page the full width (the admin console).
    document.body.dataset.section = `/${path.split("/")[1] ?? ""}`;
  }

  window.addEventListener("hashchange", show);
  show();
  return { refresh: show };
}

function markCurrentLink(path) {
  const section = `/${path.split("/")[1] ?? ""}`;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.getAttribute("data-nav") === section) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
}

/** Go to a route, as a link would. */
export function navigate(path) {
  window.location.hash = `#${path}`;
}
