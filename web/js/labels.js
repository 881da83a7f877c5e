// Words shown for the API's status and kind codes.

const EVENT_STATUS = {
  scheduled: "Scheduled",
  open: "Open",
  suspended: "Suspended",
  closed: "Betting closed",
  settled: "Settled",
  void: "Void",
  voided: "Void",
  running: "Running",
  stopped: "Stopped",
};

const BET_STATUS = { open: "Open", won: "Won", lost: "Lost", void: "Void" };

/** Return the words for an event status, or the code itself when unknown. */
export function eventStatusLabel(status) {
  return EVENT_STATUS[status] ?? status;
}

/** Return the words for a bet status. */
export function betStatusLabel(status) {
  return BET_STATUS[status] ?? status;
}

/** Return "Stake", "Payout"… for a ledger entry kind such as "bet_stake". */
export function ledgerKindLabel(kind) {
  const text = String(kind).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Return true when bets can be placed on an event in this status. */
export function isBettable(event) {
  return event?.status === "open";
}

/** Return true when an event is over for punters: shown in history, not on the board. */
export function isFinished(status) {
  return status === "settled" || status === "void" || status === "voided";
}
