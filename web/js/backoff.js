// Reconnection delays for the live connection.
//
// Exponential growth with "full jitter": after an API restart every open tab
// reconnects, and spreading them at random keeps them from arriving together.

/** Return the wait in milliseconds before reconnection attempt `attempt` (0-based). */
export function reconnectDelay(attempt, { baseMs = 500, capMs = 15000, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  // Never below half the ceiling, so a quick failure loop cannot spin the CPU.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
