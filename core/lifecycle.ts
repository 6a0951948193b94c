// The resource lifecycle every adapter shares (the dynamic provider in provider/runtime.ts, the
// provider plugin in plugin/resource.ts, the CloudFormation custom resource in lambda/operations.ts):
// create or adopt, update, refresh, delete, over the batch operations of batches.ts. Each function
// takes a client and what state recorded, and returns (or throws, as MustRecordError) what state
// must record next; the adapters only translate their host's shapes. Same SendGrid calls whichever
// adapter runs it.

import {
  PartialFailureError,
  adoptBatch,
  applyStatus,
  cancelBatch,
  createBatch,
  readBatch,
  requireBatch,
  unknownBatch,
  type CancelOutcome,
} from "./batches";
import type { SendGridBatchClient } from "./client";
import { nowSeconds } from "./clock";
import { SendGridError, describeError } from "./errors";
import { type Journal, type JournalEntry, RELEASED_ENV, UNNAMED_HOLDER, handedMarker } from "./journal";
import { DEFAULT_STATUS } from "./properties";
import type { BatchStatus } from "./types";
import { parseSendAt } from "./validate";

/**
 * An operation failed after SendGrid changed: state must record batch `batchId` with `status`, or
 * the next run would orphan a batch that now exists (a partial create) or plan from a status
 * SendGrid no longer holds (a failed update). The message is the failure's own; `cause` is the
 * failure itself, for an adapter that words it its own way.
 */
export class MustRecordError extends Error {
  readonly batchId: string;
  readonly status: BatchStatus;
  constructor(message: string, batchId: string, status: BatchStatus, cause: unknown) {
    super(message, { cause });
    this.name = "MustRecordError";
    this.batchId = batchId;
    this.status = status;
  }

  /**
   * The error both Pulumi hosts (the dynamic-provider host and the SDK's provider server) turn into
   * ErrorResourceInitFailed: the engine records `id` with `properties`, and shows `reasons`.
   */
  recordedAs<P>(properties: P): Error & { id: string; properties: P; reasons: string[] } {
    return Object.assign(new Error(this.message), { id: this.batchId, properties, reasons: [this.message] });
  }
}

/** What state recorded for a batch (the outputs of an earlier operation). */
export interface RecordedBatch {
  status?: BatchStatus;
  /** The declared send time, as the user wrote it (Unix seconds or an ISO 8601 string). */
  sendAt?: unknown;
  adopted?: boolean;
  /** The marker of the resource's own `handed` line (handedMarker), when state recorded one. */
  handed?: unknown;
}

export interface Provisioned {
  batchId: string;
  status: BatchStatus;
  /** True when the batch was adopted through `batchId` rather than created. */
  adopted: boolean;
  /**
   * With provenance: the marker of the `handed` line this create wrote (handedMarker), for state to
   * record, so that the resource's Delete can tell a later holder of the same id (`retireOrPass`).
   */
  handed?: string;
}

/**
 * Where a create records the ids it mints (see core/journal.ts): the journal, the resource the host
 * names (the plugin's URN), and a line through the host's log (the engine's diagnostics, so the id
 * also reaches the CI log).
 */
export interface Provenance {
  journal: Journal;
  resource?: string;
  log?: (line: string) => void;
  /**
   * Where the line each minted id gets goes, when not to `log`: one per created batch, so an
   * adapter keeps it out of the run's summary (the plugin: the engine's debug level).
   */
  trace?: (line: string) => void;
}

/**
 * What an adapter without state to write mid-operation hears from the lifecycle (the Lambda, which
 * answers once, at the end or at its deadline).
 */
export interface LifecycleHooks {
  /** A minted id, as soon as it exists (before its status write): an answer cut short can still name it. */
  onMinted?: (batchId: string) => void;
  /** The clock, epoch ms (default Date.now): it tells a cancel refused near sendAt "too late". */
  now?: () => number;
}

/**
 * Create: adopt `batchId` when given (checked to be this account's), else mint a new batch; then
 * bring it to `status` (default active). A create never takes over a batch an interrupted run left:
 * it cannot tell a pending create from a replacement of a resource the engine still holds (under
 * `pulumi up --replace` the engine shows the provider nothing of the old resource before the
 * create: a Check without old inputs and no Diff, exactly as for a new resource), and a journal
 * restored from an older copy lacks the `handed` line of a batch the stack holds. Those batches are
 * for `sendgrid-batches orphans --clear`, which also reads the stacks' exports. A batch minted but
 * not brought to its status throws MustRecordError with the status it has ("unknown" is recorded
 * as active, the status of a new id). With `provenance`, a minted id is journaled (fsynced) before
 * its status write and marked handed before it is returned or thrown; an adopted id is marked
 * handed before anything else. A journal line that cannot be written fails the create
 * (JOURNAL_UNWRITABLE) and the id is not handed to the engine: after a failed `minted` line it has
 * no status (harmless, like any unused id), after a failed `handed` line the journal shows it never
 * reached a program, and `orphans --clear` may free it. `hooks.onMinted` hears a minted id first.
 */
export async function provision(
  client: SendGridBatchClient,
  desired: { status?: BatchStatus; batchId?: string },
  provenance?: Provenance,
  hooks: LifecycleHooks = {},
): Promise<Provisioned> {
  const status = desired.status ?? DEFAULT_STATUS;
  if (desired.batchId !== undefined) {
    // A pasted id another resource holds (the journal shows it handed there): adopting it would make
    // two resources write one batch's status, and the other's held mail would go out.
    const holder = provenance?.journal.heldElsewhere(desired.batchId, provenance.resource);
    if (holder !== undefined)
      throw new SendGridError({
        code: "BATCH_HELD",
        message: `batch ${desired.batchId} is held by ${holder} (the batch journal ${provenance?.journal.file} shows it handed there); not adopted`,
        hint: `Give this resource its own batch (drop batchId). To move the batch here deliberately, first remove it from ${holder === UNNAMED_HOLDER ? "the resource that holds it" : holder} (\`pulumi state delete\` or retainOnDelete), then \`pulumi import\` it with ${RELEASED_ENV}=${desired.batchId}`,
      });
    // The id reaches the engine: no later create may take it over, no `orphans --clear` clear it.
    const line = provenance?.journal.handOver(desired.batchId, client.journalKey, provenance.resource, "adopt");
    const marker = line && handedMarker(line);
    try {
      return { ...(await adoptBatch(client, desired.batchId, status)), adopted: true, ...(marker ? { handed: marker } : {}) };
    } catch (err) {
      // The engine records no resource for a failed adoption: its line must not make another
      // resource's Delete leave the batch to it (retireOrPass). The `handed` line itself stays (it
      // can only keep the batch from orphans --clear). A line that cannot be written leaves it counting.
      if (provenance && marker) {
        try {
          provenance.journal.append("withdrawn", desired.batchId, client.journalKey, { of: marker });
        } catch {
          // the adoption's own failure is the error to report
        }
      }
      throw err;
    }
  }
  provenance?.journal.ensureWritable(); // fail before minting, not after
  let journaled = false;
  const minted = (batchId: string) => {
    hooks.onMinted?.(batchId);
    if (!provenance) return;
    provenance.journal.append("minted", batchId, client.journalKey, { account: client.accountKey, resource: provenance.resource });
    journaled = true;
    (provenance.trace ?? provenance.log)?.(
      `minted batch ${batchId} in ${client.accountLabel}${provenance.resource ? ` for ${provenance.resource}` : ""} (journal ${provenance.journal.file})`,
    );
  };
  try {
    const made = await createBatch(client, status, minted);
    const line = provenance && handed(provenance, made.batchId, client, made.status);
    return { ...made, adopted: false, ...(line ? { handed: handedMarker(line) } : {}) };
  } catch (err) {
    if (err instanceof PartialFailureError) {
      if (provenance && !journaled && err.cause instanceof SendGridError && err.cause.code === "JOURNAL_UNWRITABLE") {
        // Its `minted` line failed, so the status write was never sent: the id has no status, holds
        // no slot and no mail. It is not handed either: what part of the line was written may read
        // as "minted, never handed", and then no program may hold the id.
        throw new SendGridError({
          ...err.cause,
          message: `${err.cause.summary}: batch ${err.batchId} was minted and left without a status (it holds no quota slot and no mail), and is not handed to the engine`,
        });
      }
      if (provenance && journaled) handed(provenance, err.batchId, client, err.status);
      throw new MustRecordError(err.message, err.batchId, err.status === "unknown" ? "active" : err.status, err.cause);
    }
    throw err;
  }
}

/**
 * Mark `batchId` handed before the engine hears of it. When the line cannot be written, the id is
 * not handed: the error says so, and the journal (which shows it minted and never handed) lets
 * `orphans --clear` free it. When another process claimed it first (Journal.handMinted), it is not
 * handed either (BATCH_CLAIMED).
 */
function handed(p: Provenance, batchId: string, client: SendGridBatchClient, status: BatchStatus | "unknown"): JournalEntry {
  try {
    return p.journal.handMinted(batchId, client.journalKey, p.resource);
  } catch (err) {
    if (!(err instanceof SendGridError) || err.code !== "JOURNAL_UNWRITABLE") throw err;
    throw new SendGridError({
      ...err,
      message: `${err.summary}: batch ${batchId} (${status === "unknown" ? "status unknown" : status}) is not handed to the engine, so no program gets its id; \`sendgrid-batches orphans --clear\` with this journal frees it`,
    });
  }
}

/**
 * Before a read gives `batchId` to the engine: mark it handed in the journal (a refresh: once; an
 * import: always, as the new holder it makes), and refuse while another running process is taking
 * it over or clearing it. An import's marker (handedMarker) for its state to record.
 */
export function handOver(
  client: SendGridBatchClient,
  batchId: string,
  provenance: Pick<Provenance, "journal" | "resource"> | undefined,
  via: "import" | "read",
  released: ReadonlySet<string> = new Set(),
): string | undefined {
  // An import makes a second holder of an id the journal shows handed to another resource, whose
  // held mail the importer's status would then release: only an id the user says that resource gave
  // up (removed from its stack with `pulumi state delete` or retainOnDelete, which the journal cannot
  // see) is imported.
  const holder = via === "import" && !released.has(batchId) ? provenance?.journal.heldElsewhere(batchId, provenance.resource) : undefined;
  if (holder !== undefined)
    throw new SendGridError({
      code: "BATCH_HELD",
      message: `batch ${batchId} is held by ${holder} (the batch journal ${provenance?.journal.file} shows it handed there); not imported`,
      hint: `Import a batch only once no stack holds it any more. If ${holder === UNNAMED_HOLDER ? "the resource that held it" : holder} was removed from its stack (\`pulumi state delete\`, or destroyed with retainOnDelete), say so by running the import with ${RELEASED_ENV}=${batchId} in the environment (ids comma-separated)`,
    });
  const line = provenance?.journal.handOver(batchId, client.journalKey, provenance.resource, via);
  return line && via === "import" ? handedMarker(line) : undefined;
}

/**
 * Update: bring `batchId` from the `believed` status to `desired` (default active). On failure,
 * SendGrid is read once more: a status other than the believed one throws MustRecordError (so
 * state and SendGrid never disagree); otherwise the failure is thrown as it is.
 */
export async function converge(
  client: SendGridBatchClient,
  batchId: string,
  desired: BatchStatus | undefined,
  believed: BatchStatus | undefined,
): Promise<BatchStatus> {
  try {
    return await applyStatus(client, batchId, desired ?? DEFAULT_STATUS, believed);
  } catch (err) {
    // readBatch, not getStatus: "no status" is also what an id the account does not know reads as,
    // and recording that as active would make state disagree with the batch's real account.
    const actual = await readBatch(client, batchId).catch(() => null);
    if (actual === undefined) throw unknownBatch(client, batchId);
    if (actual !== null && actual !== believed) throw new MustRecordError(describeError(err), batchId, actual, err);
    throw err;
  }
}

/**
 * Update of a batch this account may not know (a CloudFormation rollback Update hands back an id
 * that already belongs to the new properties' account): converge from what SendGrid holds when the
 * account knows `batchId` (1–2 reads), else undefined, having written nothing.
 */
export async function convergeIfKnown(
  client: SendGridBatchClient,
  batchId: string,
  desired: BatchStatus | undefined,
): Promise<BatchStatus | undefined> {
  const held = await readBatch(client, batchId);
  return held === undefined ? undefined : converge(client, batchId, desired, held);
}

export interface Refreshed {
  status: BatchStatus;
  adopted: boolean;
  /** The inputs that describe the batch as it is: its status, the recorded sendAt, and batchId when adopted. */
  inputs: { status: BatchStatus; sendAt?: unknown; batchId?: string };
}

/**
 * Refresh: what SendGrid holds for `batchId`. An id the account does not know is UNKNOWN_BATCH,
 * never "gone" (state must not drop it: SendGrid cannot delete a batch id).
 */
export async function refresh(client: SendGridBatchClient, batchId: string, recorded: RecordedBatch): Promise<Refreshed> {
  const status = await requireBatch(client, batchId);
  const adopted = recorded.adopted === true;
  const inputs: Refreshed["inputs"] = { status };
  if (recorded.sendAt !== undefined && recorded.sendAt !== null) inputs.sendAt = recorded.sendAt;
  if (adopted) inputs.batchId = batchId;
  return { status, adopted, inputs };
}

/**
 * Delete: cancel the batch (cancelBatch: never DELETE, idempotent). The declared sendAt goes with
 * it, so a refusal within SendGrid's 10-minute cut-off (by `hooks.now`) reads as TOO_LATE, whatever SendGrid's words.
 */
export async function retire(
  client: SendGridBatchClient,
  batchId: string,
  recorded: RecordedBatch,
  hooks: LifecycleHooks = {},
): Promise<CancelOutcome> {
  const sendAt = recorded.sendAt === undefined || recorded.sendAt === null ? undefined : parseSendAt(recorded.sendAt);
  return cancelBatch(client, batchId, recorded.status, {
    sendAt: sendAt && "seconds" in sendAt ? sendAt.seconds : undefined,
    now: nowSeconds(hooks.now),
  });
}

/**
 * Delete of a resource that may no longer be the batch's holder: when the journal shows `batchId`
 * handed to a new holder (a create, an adoption or an import, by any resource, the same URN
 * included: `pulumi up --replace` creates the replacement before it deletes the old resource)
 * after the resource's own line (`recorded.handed`), the cancel would discard the mail of the
 * batch that holder declares. Then nothing is sent: a `passed` line is journaled, the host's log
 * says so, and the answer is "passed". Otherwise `retire`. A state without a marker (written by an
 * earlier version) or without a journal is retired as before.
 */
export async function retireOrPass(
  client: SendGridBatchClient,
  batchId: string,
  recorded: RecordedBatch,
  provenance?: Provenance,
  hooks: LifecycleHooks = {},
): Promise<CancelOutcome | "passed"> {
  const later =
    provenance && typeof recorded.handed === "string"
      ? provenance.journal.handedAfter(batchId, recorded.handed, client.journalKey)
      : undefined;
  if (provenance && later) {
    provenance.journal.append(
      "passed",
      batchId,
      client.journalKey,
      provenance.resource === undefined ? {} : { resource: provenance.resource },
    );
    provenance.log?.(
      `batch ${batchId} not cancelled: the batch journal ${provenance.journal.file} shows it handed to ${later.resource ?? UNNAMED_HOLDER} (by its ${later.via}, ${later.time}) after this resource took it, so it is that resource's now and keeps its status`,
    );
    return "passed";
  }
  return retire(client, batchId, recorded, hooks);
}
