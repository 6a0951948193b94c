// What the ScheduledBatch dynamic provider does, loaded by name inside the provider process
// (`require("pulumi-sendgrid-scheduled-batch/runtime")`). Keeping the logic here, not in the
// serialized provider, keeps the text stored in state small and free of captured values.
// Its exports have the shape of a dynamic provider (configure, check, diff, create, read, update,
// delete), so an installed package can hand this module itself to the engine: Pulumi's serializer
// then stores a single `require` of it (provider/scheduledBatch.ts).
// Nothing here imports @pulumi/pulumi: the shapes below are what the dynamic-provider host sends.

import {
  ACCOUNT_PROPERTIES,
  advise,
  type Advice,
  ENGINE_UNKNOWN,
  MustRecordError,
  SendGridError,
  apiKeyProblem,
  batchChanges,
  clientFor,
  converge,
  handOver,
  journalFromEnv,
  normaliseInputs,
  provision,
  quotaWaitFromEnv,
  quotaWaitProblem,
  describeQuotaWait,
  refresh,
  retire,
  validateInputs,
  type ApiKeyProblem,
  type BatchStatus,
  type ClientHints,
  type ConnectionSettings,
  type Failure,
  type QuotaWaitInfo,
  type Region,
  type SendGridBatchClient,
} from "../core";
import { messageOnly } from "./hostErrors";

/** What a program passes (after `check`, `status` is always set). */
export interface ScheduledBatchInputs {
  status?: BatchStatus;
  sendAt?: number | string;
  batchId?: string;
  onBehalfOf?: string;
  region?: Region;
  apiUrl?: string;
}

/** What is recorded in state: the inputs echoed back, plus what SendGrid holds. */
export interface ScheduledBatchOutputs extends ScheduledBatchInputs {
  batchId: string;
  status: BatchStatus;
  /** True when the batch was adopted through `batchId` rather than created. */
  adopted: boolean;
}

type Props = Record<string, unknown>;

const PROVIDER_KEY = "__provider";

interface ConfigSource {
  config: { get(key: string): string | undefined };
}

/**
 * The API key from stack config, read at run time in the provider process, never serialized. One
 * provider process serves one stack, so one value per process (the host configures it once).
 */
let configuredKey: string | undefined;

export async function configure(req: ConfigSource): Promise<void> {
  configuredKey = req.config.get("sendgrid:apiKey");
}

/** The API key: secret stack config `sendgrid:apiKey`, else SENDGRID_API_KEY. */
function currentApiKey(): string | undefined {
  return configuredKey ?? process.env.SENDGRID_API_KEY;
}

// Where this adapter's key and settings come from, said once: the core's errors carry a code and
// facts, and these words for the codes that need them.
const SET_KEY = "`pulumi config set --secret sendgrid:apiKey <key>` or the SENDGRID_API_KEY environment variable";
const HINTS: ClientHints = {
  AUTH_REJECTED: `The API key was rejected (mistyped, revoked or deleted, or not a key of this region): set an active key with ${SET_KEY}`,
  NETWORK: "Check the resource's apiUrl/region and the network; the next `pulumi up` tries again",
  TIMEOUT: "SendGrid did not answer in time (check status.sendgrid.com); the next `pulumi up` reads SendGrid again and finishes the change",
};
const keyMessage = (problem: ApiKeyProblem): string => `${problem.reason}: set it with ${SET_KEY}`;

function settingsFor(props: ScheduledBatchInputs): ConnectionSettings {
  const apiKey = currentApiKey();
  const problem = apiKeyProblem(apiKey);
  if (problem) throw new SendGridError({ code: problem.code, message: keyMessage(problem) });
  if (apiKey === undefined) throw new SendGridError({ code: "MISSING_API_KEY", message: "no SendGrid API key" });
  return { apiKey, onBehalfOf: props.onBehalfOf, region: props.region, apiUrl: props.apiUrl };
}

/** A line for the user: the engine shows this process's stderr as a diagnostic (so it reaches the CI log too). */
const say = (line: string): void => {
  process.stderr.write(`sendgrid-batch: ${line}\n`);
};
const MINTED_LINES_ENV = "SENDGRID_BATCH_LOG_MINTED";
/** The "minted batch" line of each create: the first of the run names the journal, the rest stay quiet unless asked for. */
function mintedLine(file: string): (line: string) => void {
  return (line) => {
    if (process.env[MINTED_LINES_ENV] === "1") say(line);
    else if (!said.has(file)) say(`the ids of the batches this run mints are journaled in ${file} (${MINTED_LINES_ENV}=1 prints each)`);
    said.add(file);
  };
}
/** The journals this run (one provider process) has named. */
const said = new Set<string>();

/** While the client waits for a free quota slot, say so. */
const printQuotaWait = (info: QuotaWaitInfo): void => say(describeQuotaWait(info));

function clientOf(props: ScheduledBatchInputs): SendGridBatchClient {
  // SENDGRID_QUOTA_WAIT_SECONDS shortens (or, at 0, turns off) the wait for a free quota slot.
  return clientFor(settingsFor(props), { retry: quotaWaitFromEnv(), onQuotaWait: printQuotaWait, hints: HINTS });
}

async function checkInputs(olds: Props, news: Props): Promise<{ inputs: Props; failures: Failure[] }> {
  const hadInputs = Object.keys(olds).some((k) => k !== PROVIDER_KEY);
  const { failures } = validateInputs(news, {
    now: Math.floor(Date.now() / 1000),
    previous: hadInputs ? { status: olds.status, sendAt: olds.sendAt } : undefined,
    isUnknown: (v) => v === ENGINE_UNKNOWN,
  });
  const keyProblem = apiKeyProblem(currentApiKey());
  if (keyProblem) failures.push({ property: "", reason: keyMessage(keyProblem) });
  // A bad SENDGRID_QUOTA_WAIT_SECONDS is this process's setting, found at preview like the key.
  const waitProblem = quotaWaitProblem();
  if (waitProblem) failures.push({ property: "", reason: waitProblem });
  // The canonical form (status defaulted, apiUrl as an origin) is what diff compares and state
  // records, so respelling the same account never reads as a change.
  return { inputs: failures.length ? news : normaliseInputs(news), failures };
}

async function diffInputs(
  id: string,
  olds: Props,
  news: Props,
): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  // A batch belongs to one account on one host: another account (or adopted id) is another batch.
  const { replaces, updates } = batchChanges(id, olds, news);
  return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
}

/** The inputs echoed back with what SendGrid holds (later diff/update/delete see only outputs). */
function outputs(inputs: ScheduledBatchInputs, batchId: string, status: BatchStatus, adopted: boolean): Props {
  return { ...inputs, batchId, status, adopted } satisfies ScheduledBatchOutputs;
}

/**
 * What this adapter's user does about the lifecycle's own refusals: an id the account does not know
 * (SendGrid cannot delete a batch id, so it is another key, account, region or subuser), and a cancel
 * refused within SendGrid's 10-minute cut-off (the batch keeps its status, the stack the resource).
 */
const LIFECYCLE_ADVICE: Advice = {
  UNKNOWN_BATCH: (e) =>
    `${e.hint}. Check that SENDGRID_API_KEY or \`sendgrid:apiKey\` is the key of the account that made the batch, and that onBehalfOf, region and apiUrl are as they were. ` +
    "To stop managing the batch without cancelling it: `pulumi state delete <urn>`, or set the `retainOnDelete: true` resource option before `pulumi destroy` (the batch then keeps its status: an active batch's mail goes out as scheduled)",
  TOO_LATE: (e) =>
    `${e.hint}. Nothing was cancelled, and the stack still holds the batch. To remove it from the stack anyway, leaving the batch as it is: ` +
    "`pulumi state delete <urn>` (`pulumi stack --show-urns` lists the URNs), or set the `retainOnDelete: true` resource option, run `pulumi up`, then destroy again. " +
    "Or destroy again once the send time has passed: SendGrid takes the cancel then (an active batch's mail has gone out; a paused batch's held mail is discarded)",
};
const advised = (err: unknown): never => {
  throw advise(err, LIFECYCLE_ADVICE);
};

export async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  const spec = inputs as ScheduledBatchInputs & Props;
  try {
    // The provenance journal (core/journal.ts) proves which minted ids never reached a program. The
    // dynamic-provider host does not tell a create its resource, so none is named. Its stderr is
    // all this host has, and the engine shows each line in the run's summary: so one line per run
    // says where the ids go, and SENDGRID_BATCH_LOG_MINTED=1 prints each minted id as well.
    const journal = journalFromEnv();
    const provenance = journal && { journal, log: say, trace: mintedLine(journal.file) };
    const made = await provision(clientOf(spec), spec, provenance);
    return { id: made.batchId, outs: outputs(spec, made.batchId, made.status, made.adopted) };
  } catch (err) {
    // A batch now exists: record it so the next `up` converges instead of orphaning it.
    if (err instanceof MustRecordError) {
      throw err.recordedAs({ ...outputs(spec, err.batchId, err.status, false), [PROVIDER_KEY]: inputs[PROVIDER_KEY] });
    }
    throw err;
  }
}

export async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  const spec = news as ScheduledBatchInputs & Props;
  try {
    const status = await converge(clientOf(spec), id, spec.status, olds.status as BatchStatus);
    return { outs: outputs(spec, id, status, olds.adopted === true) };
  } catch (err) {
    // SendGrid holds another status than state believed: record it.
    if (err instanceof MustRecordError) throw err.recordedAs({ ...olds, status: err.status, [PROVIDER_KEY]: news[PROVIDER_KEY] });
    throw advise(err, LIFECYCLE_ADVICE);
  }
}

async function readBatch(id: string, props: Props = {}): Promise<{ id: string; props: Props; inputs?: Props }> {
  const state = props as Partial<ScheduledBatchOutputs> & Props;
  // An id the account does not know fails the refresh (UNKNOWN_BATCH): state keeps the batch.
  const client = clientOf(state);
  const found = await refresh(client, id, state).catch(advised);
  // The id reaches the engine (a refresh): no later create may take it over, no `orphans --clear`
  // clear it (the journal says so once; a created batch's says so already).
  const journal = journalFromEnv();
  handOver(client, id, journal && { journal });
  const inputs: Props = { ...found.inputs };
  // The account is a resource input here (the plugin takes it from provider configuration).
  for (const k of ACCOUNT_PROPERTIES) if (state[k] !== undefined) inputs[k] = state[k];
  return { id, props: { ...state, batchId: id, status: found.status, adopted: found.adopted }, inputs };
}

async function retireBatch(id: string, props: Props): Promise<void> {
  const state = props as Partial<ScheduledBatchOutputs> & Props;
  await retire(clientOf(state), id, state).catch(advised);
}

// What the host calls. Its answer to a failed check, diff, read or delete is the error's message;
// messageOnly keeps it from also writing the message again with a JS stack trace (hostErrors.ts).
export const check = messageOnly(checkInputs);
export const diff = messageOnly(diffInputs);
export const read = messageOnly(readBatch);
export const remove = messageOnly(retireBatch);
// `delete` is a reserved word: the dynamic-provider host calls `provider.delete(id, props)`.
export { remove as delete };
