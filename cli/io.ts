// What every sendgrid-batches command shares: where it speaks, how it asks, and the quota it counts.

import { SENDGRID_LIMITS, type ScheduledSendStatus } from "../core";
import type { Options } from "./args";

export const SLOT_LIMIT = SENDGRID_LIMITS.maxPausedOrCancelled;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  confirm?: (q: string) => Promise<boolean>;
}

export const statusName = (e: ScheduledSendStatus): "paused" | "cancelled" => (e.status === "pause" ? "paused" : "cancelled");

/** Yes with --yes; otherwise the person at the terminal answers (nobody there: no). */
export async function confirmed(o: Options, io: Io, question: string): Promise<boolean> {
  if (o.yes) return true;
  return io.confirm ? io.confirm(question) : false;
}
