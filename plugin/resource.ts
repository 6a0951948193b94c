// ScheduledBatch as a provider-plugin resource: the same lifecycle as the dynamic resource
// (core/lifecycle.ts, so the same SendGrid calls per transition), with the account taken from the
// provider's configuration instead of resource properties. Nothing here imports @pulumi/pulumi.

import {
  ENGINE_UNKNOWN,
  advise,
  type Advice,
  MustRecordError,
  batchChanges,
  clientFor,
  converge,
  describeQuotaWait,
  handOver,
  quotaWaitFromEnv,
  journalFromEnv,
  normaliseInputs,
  provision,
  refresh,
  retire,
  validateInputs,
  SendGridError,
  type BatchStatus,
  type Failure,
  type QuotaWaitInfo,
  type SendGridBatchClient,
} from "../core";
import { PLUGIN_HINTS, connectionSettings } from "./config";
import { engineLog, type EngineLog } from "./engineLog";
import { CONFIG_KEYS, PACKAGE, RESOURCE_INPUTS } from "./names";

type Props = Record<string, unknown>;

/** How a property differs, as the engine's detailedDiff spells it. */
export type PropertyDiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface DetailedDiffResult {
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

export function check(olds: Props, news: Props): { inputs: Props; failures: Failure[] } {
  const failures: Failure[] = [];
  const resourceInputs: Props = {};
  for (const [key, value] of Object.entries(news)) {
    if (key.startsWith("__")) continue;
    if ((RESOURCE_INPUTS as readonly string[]).includes(key)) resourceInputs[key] = value;
    else if ((CONFIG_KEYS as readonly string[]).includes(key))
      failures.push({
        property: key,
        reason: `${key} is provider configuration here: set ${PACKAGE}:${key}, or give the resource an explicit provider with that ${key}`,
      });
    else failures.push({ property: key, reason: `unknown property "${key}"; ScheduledBatch accepts ${RESOURCE_INPUTS.join(", ")}` });
  }
  const hadInputs = Object.keys(olds).length > 0;
  const checked = validateInputs(resourceInputs, {
    now: Math.floor(Date.now() / 1000),
    previous: hadInputs ? { status: olds.status, sendAt: olds.sendAt } : undefined,
    isUnknown: (v) => v === ENGINE_UNKNOWN,
  });
  failures.push(...checked.failures);
  // The canonical form (status defaulted) is what diff compares and state records.
  return { inputs: failures.length ? news : normaliseInputs(resourceInputs), failures };
}

export function diff(id: string, olds: Props, news: Props): DetailedDiffResult {
  // olds are the recorded outputs; batchId there is always the id, so only a *different* id replaces.
  const { replaces, updates } = batchChanges(id, olds, news);
  return {
    changes: replaces.length > 0 || updates.length > 0,
    replaces,
    deleteBeforeReplace: false,
    detailedDiff: detailedDiffOf(olds, news, updates, replaces),
  };
}

/** What state records: the inputs the program gave, plus what SendGrid holds. */
function outputs(inputs: Props, batchId: string, status: BatchStatus, adopted: boolean): Props {
  const out: Props = { batchId, status, adopted };
  if (inputs.sendAt !== undefined && inputs.sendAt !== null) out.sendAt = inputs.sendAt;
  return out;
}

/**
 * What this adapter's user does about the lifecycle's own refusals, for `operation` on resource
 * `urn`: the provider configuration is the account here. An id the account does not know (SendGrid
 * cannot delete a batch id: another key, account, region or subuser): an import is told what to
 * check, refresh, update and delete also how to stop managing the batch without cancelling it. A
 * cancel refused within SendGrid's 10-minute cut-off: the batch keeps its status and the stack the
 * resource, and the ways to remove it anyway.
 */
function lifecycleAdvice(operation: "import" | "refresh" | "update" | "delete", urn = "<urn>"): Advice {
  const settings = `\`${PACKAGE}:apiKey\` (or SENDGRID_API_KEY), \`${PACKAGE}:onBehalfOf\` (a subuser's batch), \`${PACKAGE}:region\` (an EU batch) and \`${PACKAGE}:apiUrl\``;
  const check = `the provider's ${settings}: they must name the account that made the batch`;
  return {
    UNKNOWN_BATCH: (e) =>
      operation === "import"
        ? `Check the id, and ${check}`
        : `${e.hint}. Check ${check}. To stop managing it without cancelling it: \`pulumi state delete ${urn}\`, or set the \`retainOnDelete: true\` resource option before \`pulumi destroy\` (the batch then keeps its status: an active batch's mail goes out as scheduled)`,
    TOO_LATE: (e) =>
      `${e.hint}. Nothing was cancelled, and the stack still holds the batch. To remove it from the stack anyway, leaving the batch as it is: ` +
      `\`pulumi state delete '${urn}'\`, or set the \`retainOnDelete: true\` resource option, run \`pulumi up\`, then destroy again. ` +
      "Or destroy again once the send time has passed: SendGrid takes the cancel then (an active batch's mail has gone out; a paused batch's held mail is discarded)",
  };
}

/** The lifecycle of one provider instance's batches; `config` is what Configure delivered. */
export class BatchResource {
  private client?: SendGridBatchClient;
  constructor(
    private readonly config: () => Props,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Lines for the user (the engine's log): e.g. what a pause waits for. */
    private readonly log: EngineLog = engineLog(undefined),
  ) {}

  private sendgrid(): SendGridBatchClient {
    this.client ??= clientFor(connectionSettings(this.config(), this.env), {
      hints: PLUGIN_HINTS,
      retry: quotaWaitFromEnv(this.env),
      onQuotaWait: (info: QuotaWaitInfo) => this.log(describeQuotaWait(info)),
    });
    return this.client;
  }

  async create(inputs: Props, urn?: string): Promise<{ id: string; outs: Props }> {
    const desired = {
      status: inputs.status as BatchStatus | undefined,
      batchId: typeof inputs.batchId === "string" ? inputs.batchId : undefined,
    };
    try {
      // The provenance journal (core/journal.ts) names the resource, so a pending create of the same
      // URN takes its own batch back first. Each line also goes through the engine's log, attributed
      // to the resource; the "minted batch" line (one per created batch) at debug level, so it is in
      // the engine's log and event stream (and `pulumi up --debug`) but not in the run's summary.
      const journal = journalFromEnv(this.env);
      const provenance = journal && {
        journal,
        resource: urn,
        log: (line: string) => this.log(line, urn),
        trace: (line: string) => this.log(line, urn, "debug"),
      };
      const made = await provision(this.sendgrid(), desired, provenance);
      return { id: made.batchId, outs: outputs(inputs, made.batchId, made.status, made.adopted) };
    } catch (err) {
      // A batch now exists: record it so the next `up` converges instead of orphaning it.
      if (err instanceof MustRecordError) throw err.recordedAs(outputs(inputs, err.batchId, err.status, false));
      throw err;
    }
  }

  async update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    try {
      const status = await converge(this.sendgrid(), id, news.status as BatchStatus | undefined, olds.status as BatchStatus);
      return { outs: outputs(news, id, status, olds.adopted === true) };
    } catch (err) {
      // SendGrid holds another status than state believed: record it.
      if (err instanceof MustRecordError) throw err.recordedAs({ ...olds, status: err.status });
      throw advise(err, lifecycleAdvice("update"));
    }
  }

  /**
   * Refresh and import. An import's request has no properties (only the id): the batch is then
   * adopted, so the generated code names it with `batchId`.
   */
  async read(id: string, props: Props, urn?: string): Promise<{ id: string; props: Props; inputs?: Props }> {
    const importing = Object.keys(props).length === 0;
    // An id the account does not know fails: state keeps the batch, an import says why.
    const found = await refresh(this.sendgrid(), id, { sendAt: props.sendAt, adopted: importing || props.adopted === true }).catch(
      (err: unknown) => {
        const advised = advise(err, lifecycleAdvice(importing ? "import" : "refresh"));
        throw importing && advised instanceof SendGridError
          ? new SendGridError({ ...advised, message: `cannot import: ${advised.summary}` })
          : advised;
      },
    );
    // The id reaches the engine (an import, a refresh): no later create may take it over, no
    // `orphans --clear` clear it (the journal says so once; a created batch's says so already).
    const journal = journalFromEnv(this.env);
    handOver(this.sendgrid(), id, journal && { journal, resource: urn });
    return { id, props: outputs(props, id, found.status, found.adopted), inputs: found.inputs };
  }

  /** Delete cancels; the declared sendAt tells a refusal near send_at as "too late". */
  async delete(id: string, props: Props, urn = "<urn>"): Promise<void> {
    await retire(this.sendgrid(), id, { status: props.status as BatchStatus | undefined, sendAt: props.sendAt }).catch((err: unknown) => {
      throw advise(err, lifecycleAdvice("delete", urn));
    });
  }
}
