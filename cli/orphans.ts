// Orphans: paused or cancelled batches the account holds that no stack records.
//
// How they arise: `pulumi up` creates a batch in two requests (POST /v3/mail/batch, then POST
// /v3/user/scheduled_sends to pause or cancel it) and the engine records the id only when the
// provider's create returns. A run killed in between (SIGKILL of the CLI, its language host and
// the provider plugin: a CI runner stopped mid-deploy) leaves a batch that holds one of the
// account's 10 quota slots and that no state knows, so nothing will ever free it.
//
// Why freeing one is safe: the engine hands a resource's outputs to the program only after it has
// written them to the state. An id that no state records therefore never reached a program, so no
// Mail Send request carries it and the batch holds no mail: removing its status releases nothing.
// That reasoning holds only if every stack using the account is given (--state), which is why the
// command says so and refuses to clear without any.

import type { ScheduledSendStatus } from "../core";
import { recordedIn, type StateExport } from "./stateExport";

export interface OrphanReport {
  /** Entries some given state records (or --keep names): never touched. */
  recorded: ScheduledSendStatus[];
  orphans: ScheduledSendStatus[];
}

export function findOrphans(entries: ScheduledSendStatus[], states: StateExport[], keep: readonly string[]): OrphanReport {
  const recorded: ScheduledSendStatus[] = [];
  const orphans: ScheduledSendStatus[] = [];
  for (const e of entries) {
    if (keep.includes(e.batch_id) || recordedIn(states, e.batch_id)) recorded.push(e);
    else orphans.push(e);
  }
  return { recorded, orphans };
}
