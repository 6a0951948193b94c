// ScheduledBatch as a provider-plugin resource: the lifecycle both Pulumi adapters share
// (pulumi/lifecycle.ts, over core/lifecycle.ts: the same SendGrid calls per transition), with the
// account taken from the provider's configuration instead of resource properties.
// Nothing here imports @pulumi/pulumi.

import {
  DECLARED_OUTPUTS,
  clientFor,
  describeQuotaWait,
  quotaWaitFromEnv,
  type Advice,
  type Failure,
  type SendGridBatchClient,
} from "../core";
import { type AccountSource, BatchLifecycle, type Operation, RETAIN_ON_DELETE, tooLate } from "../pulumi/lifecycle";
import { PLUGIN_HINTS, connectionSettings } from "./config";
import { engineLog, type EngineLog } from "./engineLog";
import { CONFIG_KEYS, PACKAGE, RESOURCE_INPUTS } from "./names";

type Props = Record<string, unknown>;

/** The resource's own properties; the account's are the provider's configuration here. */
function resourceInputs(news: Props): { inputs: Props; failures: Failure[] } {
  const failures: Failure[] = [];
  const inputs: Props = {};
  for (const [key, value] of Object.entries(news)) {
    if (key.startsWith("__")) continue;
    if ((RESOURCE_INPUTS as readonly string[]).includes(key)) inputs[key] = value;
    else if ((CONFIG_KEYS as readonly string[]).includes(key))
      failures.push({
        property: key,
        reason: `${key} is provider configuration here: set ${PACKAGE}:${key}, or give the resource an explicit provider with that ${key}`,
      });
    else failures.push({ property: key, reason: `unknown property "${key}"; ScheduledBatch accepts ${RESOURCE_INPUTS.join(", ")}` });
  }
  return { inputs, failures };
}

/**
 * What this adapter's user does about the lifecycle's own refusals, for `operation` on resource
 * `urn`: the provider configuration is the account here. An id the account does not know (SendGrid
 * cannot delete a batch id: another key, account, region or subuser): an import is told what to
 * check, refresh, update and delete also how to stop managing the batch without cancelling it. A
 * cancel refused within SendGrid's 10-minute cut-off: the batch keeps its status and the stack the
 * resource, and the ways to remove it anyway.
 */
function lifecycleAdvice(operation: Operation, urn = "<urn>"): Advice {
  if (operation === "create") return {}; // the core's words (BATCH_HELD: `pulumi import`) are this adapter's
  const settings = `\`${PACKAGE}:apiKey\` (or SENDGRID_API_KEY), \`${PACKAGE}:onBehalfOf\` (a subuser's batch), \`${PACKAGE}:region\` (an EU batch) and \`${PACKAGE}:apiUrl\``;
  const check = `the provider's ${settings}: they must name the account that made the batch`;
  return {
    UNKNOWN_BATCH: (e) =>
      operation === "import"
        ? `Check the id, and ${check}`
        : `${e.hint}. Check ${check}. To stop managing it without cancelling it: \`pulumi state delete ${urn}\`, ${RETAIN_ON_DELETE}`,
    TOO_LATE: tooLate(`\`pulumi state delete '${urn}'\``),
  };
}

/** The lifecycle of one provider instance's batches; `config` is what Configure delivered. */
export class BatchResource extends BatchLifecycle {
  constructor(
    config: () => Props,
    env: NodeJS.ProcessEnv = process.env,
    /** Lines for the user (the engine's log): e.g. what a pause waits for. */
    log: EngineLog = engineLog(undefined),
  ) {
    let client: SendGridBatchClient | undefined;
    const account: AccountSource = {
      env,
      imports: true,
      resourceInputs,
      // The key and the account are CheckConfig's (config.ts).
      accountFailures: () => [],
      client: () => {
        client ??= clientFor(connectionSettings(config(), env), {
          hints: PLUGIN_HINTS,
          retry: quotaWaitFromEnv(env),
          onQuotaWait: (info) => log(describeQuotaWait(info)),
        });
        return client;
      },
      // State records what the table says is declared (sendAt); the account is the provider's.
      echo: (inputs) =>
        Object.fromEntries(DECLARED_OUTPUTS.flatMap((k) => (inputs[k] !== undefined && inputs[k] !== null ? [[k, inputs[k]]] : []))),
      kept: () => ({}),
      readInputs: (found) => found,
      // The journal names the resource (so an adoption of an id another resource holds is
      // BATCH_HELD). Each line also goes through the engine's log, attributed to the resource; the
      // "minted batch" line (one per created batch) at debug level, so it is in the engine's log and
      // event stream (and `pulumi up --debug`) but not in the run's summary.
      provenance: (journal, urn) => ({
        journal,
        resource: urn,
        log: (line) => log(line, urn),
        trace: (line) => log(line, urn, "debug"),
      }),
      advice: lifecycleAdvice,
    };
    super(account);
  }
}
