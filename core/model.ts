// The ScheduledBatch resource model, defined once for every adapter (the dynamic provider, the
// provider plugin, the Lambda): defaults, the canonical form of each input, and which changes
// mean another batch. Pure: no I/O.
//
// Why a canonical form matters: a change of account is a replace, and a replace makes a new batch
// and cancels the old one, so mail already scheduled with the old batch id is discarded at its
// send time. Respelling the same account ("…3030" → "…3030/", an explicit default host, a host
// with its trailing dot) must therefore never read as a change.

import { apiOrigin, apiUrlProblem, canonicalOrigin, regionOf } from "./account";
import { BATCH_PROPERTIES, DEFAULT_STATUS, type BatchProperty, type PropertySpec } from "./properties";
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

type Differs = (olds: Inputs, news: Inputs, id: string) => boolean;

/**
 * How a property's old and new values differ where "as written" is not the rule (absent values
 * taking the table's default). `olds` are recorded outputs, whose batchId is always the batch's id.
 */
const DIFFERS: Partial<Record<BatchProperty, Differs>> = {
  // One send time in seconds or in ISO 8601 is no change; declaring one or dropping it is.
  sendAt: (olds, news) => sendAtSeconds(olds.sendAt) !== sendAtSeconds(news.sendAt) || given(olds.sendAt) !== given(news.sendAt),
  // Only naming a batch other than this one.
  batchId: (_olds, news, id) => given(news.batchId) && news.batchId !== id,
  // region and apiUrl name the host together: either counts only when the origin itself changes.
  region: (olds, news) => apiOrigin(olds) !== apiOrigin(news) && regionOf(olds) !== regionOf(news),
  apiUrl: (olds, news) => apiOrigin(olds) !== apiOrigin(news) && (olds.apiUrl ?? null) !== (news.apiUrl ?? null),
};

const asWritten =
  (p: PropertySpec): Differs =>
  (olds, news) =>
    (olds[p.name] ?? p.default ?? null) !== (news[p.name] ?? p.default ?? null);

/**
 * What moving from `olds` to `news` changes, for the batch `id`: each property that differs, by its
 * on-change rule in the table (core/properties.ts). An account property differs only when the
 * account itself changes; `batchId` only when it names a batch other than `id`.
 */
export function batchChanges(id: string, olds: Inputs, news: Inputs): BatchChanges {
  const changes: BatchChanges = { replaces: [], updates: [] };
  for (const p of BATCH_PROPERTIES as readonly PropertySpec[]) {
    const differs = DIFFERS[p.name as BatchProperty] ?? asWritten(p);
    if (differs(olds, news, id)) (p.onChange === "update" ? changes.updates : changes.replaces).push(p.name);
  }
  return changes;
}
