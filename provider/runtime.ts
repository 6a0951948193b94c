// What the ScheduledBatch dynamic provider does, loaded by name inside the provider process
// (`require("pulumi-sendgrid-scheduled-batch/runtime")`). Keeping the logic here, not in the
// serialized provider, keeps the text stored in state small and free of captured values.
// Its exports have the shape of a dynamic provider (configure, check, diff, create, read, update,
// delete), so an installed package can hand this module itself to the engine: Pulumi's serializer
// then stores a single `require` of it (provider/scheduledBatch.ts).
// The lifecycle is both Pulumi adapters' (pulumi/lifecycle.ts); what is this adapter's is where the
// account comes from: the resource's own inputs, with the key from stack config or the environment.
// Nothing here imports @pulumi/pulumi: the shapes below are what the dynamic-provider host sends.

import { ACCOUNT_PROPERTIES, apiKeyProblem, clientFor, describeQuotaWait, quotaWaitFromEnv, type Advice, type Region } from "../core";
import { type AccountSource, BatchLifecycle, RETAIN_ON_DELETE, clientHints, keyMessage, requireApiKey, tooLate } from "../pulumi/lifecycle";
import { messageOnly } from "./hostErrors";

// The typed inputs and state are made from the property table (npm run generate).
export type { ScheduledBatchInputs, ScheduledBatchOutputs } from "./args.generated";

type Props = Record<string, unknown>;

const PROVIDER_KEY = "__provider";
/**
 * The hidden input naming the resource (its URN, as the ScheduledBatch class computes it: the
 * provider is not told it). Only a create reads it, for the journal's lines (so adopting an id
 * another resource holds is BATCH_HELD); the diff ignores it and state's outputs leave it out, so a
 * stack made before it upgrades with no change.
 */
export const RESOURCE_KEY = "__resource";

/** The resource a create is for, when the program's class named it. */
function resourceOf(inputs: Props): string | undefined {
  const r = inputs[RESOURCE_KEY];
  return typeof r === "string" && r !== "" ? r : undefined;
}

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
const HINTS = clientHints(SET_KEY, "Check the resource's apiUrl/region and the network; the next `pulumi up` tries again");

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

/**
 * What this adapter's user does about the lifecycle's own refusals: an id the account does not know
 * (SendGrid cannot delete a batch id, so it is another key, account, region or subuser), and a cancel
 * refused within SendGrid's 10-minute cut-off (the batch keeps its status, the stack the resource).
 */
/**
 * The ways out of a refused adoption, in this adapter's words: the dynamic provider cannot import,
 * so moving a batch is renaming the resource that holds it.
 */
const CREATE_ADVICE: Advice = {
  BATCH_HELD:
    "Give this resource its own batch (drop batchId). To give the batch another name, rename the resource that holds it " +
    "(the `aliases` resource option keeps its batch) instead of adopting the batch in a second resource. " +
    "Only once no stack holds the batch (`pulumi state delete <urn>`, or retainOnDelete and the resource removed) may another adopt it: " +
    "run that one `pulumi up` with SENDGRID_BATCH_JOURNAL set to a new file, and keep the old journal",
};

const LIFECYCLE_ADVICE: Advice = {
  UNKNOWN_BATCH: (e) =>
    `${e.hint}. Check that SENDGRID_API_KEY or \`sendgrid:apiKey\` is the key of the account that made the batch, and that onBehalfOf, region and apiUrl are as they were. ` +
    `To stop managing the batch without cancelling it: \`pulumi state delete <urn>\`, ${RETAIN_ON_DELETE}`,
  TOO_LATE: tooLate("`pulumi state delete <urn>` (`pulumi stack --show-urns` lists the URNs)"),
};

/** The account is the resource's own inputs (onBehalfOf, region, apiUrl); the key is the process's. */
const account: AccountSource = {
  env: process.env,
  // The dynamic-provider host does not import: a read always has the recorded state.
  imports: false,
  resourceInputs: (news) => ({ inputs: news, failures: [] }),
  accountFailures: () => {
    const problem = apiKeyProblem(currentApiKey());
    return problem ? [{ property: "", reason: keyMessage(SET_KEY)(problem) }] : [];
  },
  // SENDGRID_QUOTA_WAIT_SECONDS shortens (or, at 0, turns off) the wait for a free quota slot.
  client: (props) =>
    clientFor(
      {
        apiKey: requireApiKey(currentApiKey(), SET_KEY),
        onBehalfOf: props.onBehalfOf as string | undefined,
        region: props.region as Region | undefined,
        apiUrl: props.apiUrl as string | undefined,
      },
      { retry: quotaWaitFromEnv(), onQuotaWait: (info) => say(describeQuotaWait(info)), hints: HINTS },
    ),
  // The inputs echoed back (later diff/update/delete see only outputs), without the resource's
  // name (only a create needs it; state stays small).
  echo: ({ [RESOURCE_KEY]: _resource, ...inputs }) => inputs,
  kept: (news) => ({ [PROVIDER_KEY]: news[PROVIDER_KEY] }),
  // The account is a resource input here (the plugin takes it from provider configuration).
  readInputs: (found, state) => {
    const inputs: Props = { ...found };
    for (const k of ACCOUNT_PROPERTIES) if (state[k] !== undefined) inputs[k] = state[k];
    return inputs;
  },
  // The dynamic-provider host does not tell a create its resource: the class passes it as a hidden
  // input (RESOURCE_KEY), which names the journal's lines. Its stderr is all this host has, and the
  // engine shows each line in the run's summary: so one line per run says where the ids go, and
  // SENDGRID_BATCH_LOG_MINTED=1 prints each minted id as well.
  provenance: (journal, urn) => ({ journal, resource: urn, log: say, trace: mintedLine(journal.file) }),
  advice: (operation) => (operation === "create" ? CREATE_ADVICE : LIFECYCLE_ADVICE),
};

const batches = new BatchLifecycle(account);

export const create = (inputs: Props): Promise<{ id: string; outs: Props }> => batches.create(inputs, resourceOf(inputs));
export const update = (id: string, olds: Props, news: Props): Promise<{ outs: Props }> => batches.update(id, olds, news);

// What the host calls. Its answer to a failed check, diff, read or delete is the error's message;
// messageOnly keeps it from also writing the message again with a JS stack trace (hostErrors.ts).
export const check = messageOnly(async (olds: Props, news: Props) => batches.check(olds, news));
export const diff = messageOnly(async (id: string, olds: Props, news: Props) => {
  const { changes, replaces, deleteBeforeReplace } = batches.diff(id, olds, news);
  return { changes, replaces, deleteBeforeReplace };
});
export const read = messageOnly(async (id: string, props: Props = {}) => batches.read(id, props));
export const remove = messageOnly(async (id: string, props: Props) => batches.delete(id, props));
// `delete` is a reserved word: the dynamic-provider host calls `provider.delete(id, props)`.
export { remove as delete };
