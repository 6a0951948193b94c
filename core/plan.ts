// The batch state machine. SendGrid keeps at most one status per batch in
// /v3/user/scheduled_sends: none (= active), "pause" or "cancel".
//   active → paused/cancelled : POST   (creates the status)
//   paused ↔ cancelled        : PATCH  (a second POST would be refused: "a status … exists")
//   paused/cancelled → active : DELETE (removes the status; queued mail goes out again)
// Every step is exactly one SendGrid request; the same state is zero requests.

import type { BatchStatus } from "./types";
import { toWire, type WireStatus } from "./wire";

export type Step = { kind: "createStatus"; status: WireStatus } | { kind: "updateStatus"; status: WireStatus } | { kind: "clearStatus" };

/** The minimal list of SendGrid calls that moves a batch from `current` to `desired`. */
export function plan(current: BatchStatus, desired: BatchStatus): Step[] {
  if (current === desired) return [];
  if (desired === "active") return [{ kind: "clearStatus" }];
  if (current === "active") return [{ kind: "createStatus", status: toWire(desired) }];
  return [{ kind: "updateStatus", status: toWire(desired) }];
}
