// The Pulumi lifecycle of a ScheduledBatch, once for both Pulumi adapters: check, diff,
// create/read/update/delete, what state records, and the words for the lifecycle's refusals. The
// dynamic provider (provider/runtime.ts) and the provider plugin (plugin/resource.ts) differ only
// in where the account comes from (resource inputs, or the provider's configuration): each hands
// this module an AccountSource. Nothing here imports @pulumi/pulumi (the dynamic provider's host
// loads this code by the package's name) nor either adapter.

import {
  ENGINE_UNKNOWN,
  MustRecordError,
  SendGridError,
  advise,
  apiKeyProblem,
  batchChanges,
  converge,
  handOver,
  releasedIds,
  journalFromEnv,
  normaliseInputs,
  nowSeconds,
  provision,
  quotaWaitProblem,
  refresh,
  retireOrPass,
  validateInputs,
  type Advice,
  type ApiKeyProblem,
  type BatchStatus,
  type ClientHints,
  type Failure,
  type Journal,
  type Provenance,
  type SendGridBatchClient,
} from "../core";

type Props = Record<string, unknown>;

/**
 * Where state records the marker of the resource's own `handed` journal line (core handedMarker):
 * a few dozen characters, no secret. Its Delete compares it with the journal's later lines: a
 * replacement (or any resource) that took the same id later is its holder then, and the Delete
 * does not cancel it. Hidden from the resource classes' outputs, like the dynamic provider's
 * `__provider`; a state without it (an earlier version's) is deleted as before.
 */
export const HANDED_KEY = "__handed";

/** The operations whose refusals an adapter words for its user. */
export type Operation = "create" | "import" | "refresh" | "update" | "delete";

/** Where one adapter's account comes from, and its words for it. */
export interface AccountSource {
  /** The process's environment: SENDGRID_API_KEY, the quota wait, the journal's folder. */
  readonly env: NodeJS.ProcessEnv;
  /** A read with no recorded properties is an import (the batch is then adopted). */
  readonly imports: boolean;
  /** The resource's inputs among what the program gave, and the failures of what does not belong there. */
  resourceInputs(news: Props): { inputs: Props; failures: Failure[] };
  /** Problems with the account found at preview, before any request (e.g. the key's shape). */
  accountFailures(): Failure[];
  /** The client of the account that holds the batch recorded (or declared) in `props`. */
  client(props: Props): SendGridBatchClient;
  /** What state records of the inputs, beside what SendGrid holds. */
  echo(inputs: Props): Props;
  /** What a recorded state must keep from the new inputs beside the outputs (the dynamic provider's code). */
  kept(news: Props): Props;
  /** A refreshed batch's inputs, from the core's and the recorded state. */
  readInputs(found: Props, state: Props): Props;
  /** Where a create's minted ids are journaled and said, for resource `urn` when the host names it. */
  provenance(journal: Journal, urn?: string): Provenance;
  /** The adapter's advice on the lifecycle's refusals of `operation` on resource `urn`. */
  advice(operation: Operation, urn?: string): Advice;
}

/** How a property differs, as the engine's detailedDiff spells it. */
export type PropertyDiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
  detailedDiff: Record<string, PropertyDiffKind>;
}

/** The detailed diff of `keys` between old and new values: add/delete/update, `-replace` for replaces. */
export function detailedDiffOf(
  olds: Props,
  news: Props,
  updates: readonly string[],
  replaces: readonly string[],
): Record<string, PropertyDiffKind> {
  const out: Record<string, PropertyDiffKind> = {};
  for (const key of [...replaces, ...updates]) {
    const had = olds[key] !== undefined && olds[key] !== null;
    const has = news[key] !== undefined && news[key] !== null;
    const base = !had ? "add" : !has ? "delete" : "update";
    out[key] = (replaces.includes(key) ? `${base}-replace` : base) as PropertyDiffKind;
  }
  return out;
}

// The words both adapters use; each says where its key and account are set (`setKey`, `network`).

/** What to do about a missing or malformed key, and where to set it. */
export const keyMessage =
  (setKey: string) =>
  (problem: ApiKeyProblem): string =>
    `${problem.reason}: set it with ${setKey}`;

/** The hints an adapter's SendGrid client gives its errors. */
export function clientHints(setKey: string, network: string): ClientHints {
  return {
    AUTH_REJECTED: `The API key was rejected (mistyped, revoked or deleted, or not a key of this region): set an active key with ${setKey}`,
    NETWORK: network,
    TIMEOUT:
      "SendGrid did not answer in time (check status.sendgrid.com); the next `pulumi up` reads SendGrid again and finishes the change",
  };
}

/** The key a client is made with: a missing or malformed one is an error with the adapter's words. */
export function requireApiKey(apiKey: string | undefined, setKey: string): string {
  const problem = apiKeyProblem(apiKey);
  if (problem) throw new SendGridError({ code: problem.code, message: keyMessage(setKey)(problem) });
  if (apiKey === undefined) throw new SendGridError({ code: "MISSING_API_KEY", message: "no SendGrid API key" });
  return apiKey;
}

/** How to stop managing a batch without cancelling it, after `pulumi state delete …`. */
export const RETAIN_ON_DELETE =
  "or set the `retainOnDelete: true` resource option before `pulumi destroy` (the batch then keeps its status: an active batch's mail goes out as scheduled)";

/**
 * A cancel refused within SendGrid's 10-minute cut-off: the batch keeps its status and the stack
 * the resource; `stateDelete` is the adapter's way to name the command that removes it anyway.
 */
export function tooLate(stateDelete: string): Advice["TOO_LATE"] {
  return (e) =>
    `${e.hint}. Nothing was cancelled, and the stack still holds the batch. To remove it from the stack anyway, leaving the batch as it is: ` +
    `${stateDelete}, or set the \`retainOnDelete: true\` resource option, run \`pulumi up\`, then destroy again. ` +
    "Or destroy again once the send time has passed: SendGrid takes the cancel then (an active batch's mail has gone out; a paused batch's held mail is discarded)";
}

/** The lifecycle of the batches of one account source (one provider process). */
export class BatchLifecycle {
  constructor(private readonly source: AccountSource) {}

  /** Every problem with the inputs, found at preview with no request; else their canonical form. */
  check(olds: Props, news: Props): { inputs: Props; failures: Failure[] } {
    const { inputs, failures } = this.source.resourceInputs(news);
    const hadInputs = Object.keys(olds).some((k) => !k.startsWith("__"));
    const checked = validateInputs(inputs, {
      now: nowSeconds(),
      previous: hadInputs ? { status: olds.status, sendAt: olds.sendAt } : undefined,
      isUnknown: (v) => v === ENGINE_UNKNOWN,
    });
    failures.push(...checked.failures, ...this.source.accountFailures());
    // A bad SENDGRID_QUOTA_WAIT_SECONDS is this process's setting, found at preview like the key.
    const waitProblem = quotaWaitProblem(this.source.env);
    if (waitProblem) failures.push({ property: "", reason: waitProblem });
    // The canonical form (status defaulted, apiUrl as an origin) is what diff compares and state
    // records, so respelling the same account never reads as a change.
    return { inputs: failures.length ? news : normaliseInputs(inputs), failures };
  }

  diff(id: string, olds: Props, news: Props): DiffResult {
    // A batch belongs to one account on one host: another account (or adopted id) is another batch.
    // olds are the recorded outputs; batchId there is always the id, so only a *different* id replaces.
    const { replaces, updates } = batchChanges(id, olds, news);
    return {
      changes: replaces.length > 0 || updates.length > 0,
      replaces,
      deleteBeforeReplace: false,
      detailedDiff: detailedDiffOf(olds, news, updates, replaces),
    };
  }

  /** What state records: the inputs the source echoes, plus what SendGrid holds. */
  private outputs(inputs: Props, batchId: string, status: BatchStatus, adopted: boolean, handed?: unknown): Props {
    return { ...this.source.echo(inputs), batchId, status, adopted, ...(typeof handed === "string" ? { [HANDED_KEY]: handed } : {}) };
  }

  async create(inputs: Props, urn?: string): Promise<{ id: string; outs: Props }> {
    const desired = {
      status: inputs.status as BatchStatus | undefined,
      batchId: typeof inputs.batchId === "string" ? inputs.batchId : undefined,
    };
    try {
      // The provenance journal (core/journal.ts) proves which minted ids never reached a program.
      const journal = journalFromEnv(this.source.env);
      const made = await provision(this.source.client(inputs), desired, journal && this.source.provenance(journal, urn));
      return { id: made.batchId, outs: this.outputs(inputs, made.batchId, made.status, made.adopted, made.handed) };
    } catch (err) {
      // A batch now exists: record it so the next `up` converges instead of orphaning it.
      if (err instanceof MustRecordError) {
        throw err.recordedAs({ ...this.outputs(inputs, err.batchId, err.status, false), ...this.source.kept(inputs) });
      }
      throw advise(err, this.source.advice("create"));
    }
  }

  async update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    try {
      const status = await converge(this.source.client(news), id, news.status as BatchStatus | undefined, olds.status as BatchStatus);
      return { outs: this.outputs(news, id, status, olds.adopted === true, olds[HANDED_KEY]) };
    } catch (err) {
      // SendGrid holds another status than state believed: record it.
      if (err instanceof MustRecordError) throw err.recordedAs({ ...olds, status: err.status, ...this.source.kept(news) });
      throw advise(err, this.source.advice("update"));
    }
  }

  /**
   * Refresh (and, for a source that imports, import: a request with no properties, only the id; the
   * batch is then adopted, so the generated code names it with `batchId`).
   */
  async read(id: string, props: Props, urn?: string): Promise<{ id: string; props: Props; inputs?: Props }> {
    const importing = this.source.imports && Object.keys(props).length === 0;
    const client = this.source.client(props);
    // An id the account does not know fails (UNKNOWN_BATCH): state keeps the batch, an import says why.
    const found = await refresh(client, id, { sendAt: props.sendAt, adopted: importing || props.adopted === true }).catch(
      (err: unknown) => {
        const advised = advise(err, this.source.advice(importing ? "import" : "refresh"));
        throw importing && advised instanceof SendGridError
          ? new SendGridError({ ...advised, message: `cannot import: ${advised.summary}` })
          : advised;
      },
    );
    // The id reaches the engine (an import, a refresh): no later create may take it over, no
    // `orphans --clear` clear it (the journal says so once; a created batch's says so already).
    const journal = journalFromEnv(this.source.env);
    // An import's own line is its state's marker; a refresh keeps the marker state recorded.
    const imported = handOver(
      client,
      id,
      journal && { journal, resource: urn },
      importing ? "import" : "read",
      releasedIds(this.source.env),
    );
    return {
      id,
      props: this.outputs(props, id, found.status, found.adopted, imported ?? props[HANDED_KEY]),
      inputs: this.source.readInputs(found.inputs, props),
    };
  }

  /**
   * Delete cancels, unless the journal shows the id handed to a later holder (core retireOrPass:
   * e.g. the replacement `pulumi up --replace` created first); the declared sendAt tells a refusal
   * near send_at as "too late".
   */
  async delete(id: string, props: Props, urn?: string): Promise<void> {
    const client = this.source.client(props);
    const journal = journalFromEnv(this.source.env);
    const recorded = { status: props.status as BatchStatus | undefined, sendAt: props.sendAt, handed: props[HANDED_KEY] };
    await retireOrPass(client, id, recorded, journal && this.source.provenance(journal, urn)).catch((err: unknown) => {
      throw advise(err, this.source.advice("delete", urn));
    });
  }
}
