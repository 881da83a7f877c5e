// The signed-in session: the token pair kept in sessionStorage, so it lives
// as long as the tab and is never shared with other tabs or left on disk.

const STORAGE_KEY = "oddsmith.session";
const changes = new EventTarget();

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) ?? null;
  } catch {
    return null;
  }
}

/** Return the current access token, or null when signed out. */
export function accessToken() {
  return read()?.access_token ?? null;
}

/** Return the current refresh token, or null when signed out. */
export function refreshToken() {
  return read()?.refresh_token ?? null;
}

/** Return true when a token pair is held. */
export function isSignedIn() {
  return accessToken() !== null;
}

/** Keep a new token pair from a login or refresh answer. */
export function store(tokens, { reason = "login" } = {}) {
  sessionStorage.setItem(
    STORAGE_KEY,
    JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token }),
  );
  changes.dispatchEvent(new CustomEvent("change", { detail: { signedIn: true, reason } }));
}

/** Forget the token pair. */
export function clear() {
  const wasSignedIn = isSignedIn();
  sessionStorage.removeItem(STORAGE_KEY);
  if (wasSignedIn) {
    changes.dispatchEvent(new CustomEvent("change", { detail: { signedIn: false } }));
  }
}

/** Call `listener({signedIn, reason})` whenever the session starts, renews or ends. */
export function onChange(listener) {
  changes.addEventListener("change", (event) => listener(event.detail));
}
