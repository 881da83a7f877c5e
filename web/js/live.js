// The live connection to /ws: reconnects by itself with backoff, keeps itself
// alive with pings, and hands each message to the handler for its type.

import { reconnectDelay } from "./backoff.js";

const PING_EVERY_MS = 20000;
// A connection silent for this long is presumed dead even if TCP has not noticed.
const SILENCE_LIMIT_MS = 50000;

/** Return the /ws address on this origin, ws: or wss: to match the page. */
export function liveUrl(loc = window.location) {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws`;
}

export class LiveConnection {
  /**
   * `handlers` maps a message type ("event", "balance"…) to a function.
   * `onOpen({reconnected})` runs on every (re)connection, `onDown({retryInMs})`
   * whenever it is lost.
   */
  constructor({ handlers, onOpen, onDown, url = liveUrl() }) {
    this._handlers = handlers;
    this._onOpen = onOpen;
    this._onDown = onDown;
    this._url = url;
    this._socket = null;
    this._attempt = 0;
    this._everOpened = false;
    this._timers = { retry: null, ping: null };
    this._lastHeard = 0;
    this._warnedTypes = new Set();
  }

  start() {
    this._connect();
  }

  /** Send a message if connected; return false when it could not be sent. */
  send(message) {
    if (this._socket?.readyState !== WebSocket.OPEN) {
      return false;
    }
    this._socket.send(JSON.stringify(message));
    return true;
  }

  /** Ask for the current state of one event, after a version gap. */
  requestSnapshot(eventId) {
    return this.send({ op: "snapshot", event_id: eventId });
  }

  /** Drop the connection and open a fresh one, e.g. to shed a signed-out user's identity. */
  restart() {
    const old = this._socket;
    this._socket = null;
    clearInterval(this._timers.ping);
    clearTimeout(this._timers.retry);
    old?.close();
    this._connect();
  }

  /** Reconnect now instead of waiting out the backoff (the tab came back online). */
  hurry() {
    if (this._socket === null) {
      clearTimeout(this._timers.retry);
      this._connect();
    }
  }

  _connect() {
    let socket;
    try {
      socket = new WebSocket(this._url);
    } catch {
      this._scheduleRetry();
      return;
    }
    this._socket = socket;
    socket.addEventListener("open", () => {
      const reconnected = this._everOpened;
      this._everOpened = true;
      this._attempt = 0;
      this._lastHeard = Date.now();
      this._startPinging();
      this._onOpen({ reconnected });
    });
    socket.addEventListener("message", (message) => {
      this._lastHeard = Date.now();
      this._dispatch(message.data);
    });
    // "close" follows "error" in every browser, so retrying once there is enough.
    socket.addEventListener("close", () => {
      if (this._socket === socket) {
        this._socket = null;
        clearInterval(this._timers.ping);
        this._scheduleRetry();
      }
    });
  }

  _scheduleRetry() {
    const retryInMs = reconnectDelay(this._attempt);
    this._attempt += 1;
    this._onDown({ retryInMs, everOpened: this._everOpened });
    this._timers.retry = setTimeout(() => this._connect(), retryInMs);
  }

  _startPinging() {
    clearInterval(this._timers.ping);
    this._timers.ping = setInterval(() => {
      if (Date.now() - this._lastHeard > SILENCE_LIMIT_MS) {
        this._socket?.close();
        return;
      }
      this.send({ op: "ping" });
    }, PING_EVERY_MS);
  }

  _dispatch(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      console.warn("live: ignored a message that is not JSON");
      return;
    }
    const handler = this._handlers[message.type];
    if (handler) {
      handler(message);
    } else if (!this._warnedTypes.has(message.type)) {
      // Warn once per type: a newer server may send types this page predates.
      this._warnedTypes.add(message.type);
      console.warn("live: ignored messages of unknown type %s", message.type);
    }
  }
}
