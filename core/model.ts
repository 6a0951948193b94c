// The ScheduledBatch resource model, defined once for every adapter (the dynamic provider, the
// provider plugin, the Lambda): defaults, the canonical form of each input, and which changes
// mean another batch. Pure: no I/O.
//
// Why a canonical form matters: a change of account is a replace, and a replace makes a new batch
// and cancels the old one, so mail already scheduled with the old batch id is discarded at its
// send time. Respelling the same account ("…3030" → "…3030/", an explicit default host, a host
// with its trailing dot) must therefore never read as a change.

import { apiOrigin, apiUrlProblem, canonicalOrigin, regionOf } from "./account";
import { DEFAULT_STATUS } from "./properties";
import { parseSendAt } from "./validate";
import { SENDGRID_HOSTS } from "./wire";

type Inputs = Record<string, unknown>;

function given(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * Valid inputs in canonical form: `status` defaulted, `apiUrl` reduced to its canonical origin and
 * dropped when it only names the region's own host. Other values are kept as the user wrote them.
 */
export function normaliseInputs<T extends Inputs>(inputs: T): T {
  const out: Inputs = { ...inputs };
  if (!given(out.status)) out.status = DEFAULT_STATUS;
  if (typeof out.apiUrl === "string" && apiUrlProblem(out.apiUrl) === undefined) {
    const origin = canonicalOrigin(out.apiUrl);
    if (origin === SENDGRID_HOSTS[regionOf(out)]) delete out.apiUrl;
    else out.apiUrl = origin;
  }
  return out as T;
}

function sendAtSeconds(value: unknown): number | undefined {
  if (!given(value)) return undefined;
  const parsed = parseSendAt(value);
  return "seconds" in parsed ? parsed.seconds : undefined;
}

export interface BatchChanges {
  /** Properties whose change means another batch (replace), in the order the user reads them. */
  replaces: string[];
  /** Properties that change in place (status: one SendGrid call; sendAt: none). */
  updates: string[];
}

/**
 * What moving from `olds` to `news` changes, for the batch `id`. An account property counts only
 * when the account itself changes; `batchId` only when it names a batch other than `id`.
 */
export function batchChanges(id: string, olds: Inputs, news: Inputs): BatchChanges {
  const replaces: string[] = [];
  if (apiOrigin(olds) !== apiOrigin(news)) replaces.push(...changedOf(["region", "apiUrl"], olds, news));
  if ((olds.onBehalfOf ?? null) !== (news.onBehalfOf ?? null)) replaces.push("onBehalfOf");
  if (given(news.batchId) && news.batchId !== id) replaces.push("batchId");

  const updates: string[] = [];
  if ((olds.status ?? DEFAULT_STATUS) !== (news.status ?? DEFAULT_STATUS)) updates.push("status");
  if (sendAtSeconds(olds.sendAt) !== sendAtSeconds(news.sendAt) || given(olds.sendAt) !== given(news.sendAt)) updates.push("sendAt");
  return { replaces, updates };
}

function changedOf(keys: readonly string[], olds: Inputs, news: Inputs): string[] {
  return keys.filter((k) => (k === "region" ? regionOf(olds) !== regionOf(news) : (olds[k] ?? null) !== (news[k] ?? null)));
}
