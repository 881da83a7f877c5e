// Decide what to do with an event snapshot given the version already held.
//
// Every change to an event bumps its version by one and the server pushes the
// whole event each time. A snapshot is therefore always safe to apply when it
// is newer; a jump of more than one only tells us that messages were lost in
// between, and the server asked us to confirm with a fresh snapshot then.

/** The verdict for one incoming snapshot. */
export const Verdict = Object.freeze({
  FIRST: "first", // no earlier version held: apply
  NEXT: "next", // exactly one newer: apply
  GAP: "gap", // newer by more than one: apply, then ask for a snapshot
  STALE: "stale", // same or older than what is held: ignore
});

/**
 * Classify an incoming version against the version held (undefined when none).
 *
 * The relay may fold several quick changes into one message; it then says
 * which version its previous message for the event carried (`previous`), and
 * holding that one is enough to have missed nothing.
 */
export function classify(heldVersion, incomingVersion, previousVersion) {
  if (heldVersion === undefined || heldVersion === null) {
    return Verdict.FIRST;
  }
  if (incomingVersion <= heldVersion) {
    return Verdict.STALE;
  }
  const base = previousVersion ?? incomingVersion - 1;
  return heldVersion >= base ? Verdict.NEXT : Verdict.GAP;
}

/** Return true when a verdict means the snapshot replaces the one held. */
export function shouldApply(verdict) {
  return verdict !== Verdict.STALE;
}
