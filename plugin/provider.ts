// The `sendgrid-batch` provider plugin: one provider process per provider instance (the engine
// starts one per explicit provider and one for the default provider), so the configuration
// Configure delivers is this process's account.

import type { Provider } from "@pulumi/pulumi/provider";
import { TYPE_TOKENS, type Failure } from "../core";
import { checkConfig, configFromVariables, diffConfig } from "./config";
import type { EngineLog } from "./engineLog";
import { RESOURCE_TOKEN } from "./names";
import { detailedDiffOf } from "../pulumi/lifecycle";
import { BatchResource } from "./resource";
import { type PackageInfo, packageSchema } from "./schema";
import type { ProviderConfigRpcs } from "./sdkServer";

type Props = Record<string, unknown>;

/**
 * A dynamic ScheduledBatch's state, handed to this provider because an alias moved the resource
 * here: only the dynamic provider's state holds `__provider` (its serialized code). The engine decides
 * on its own whether a provider change replaces the resource (DiffConfig against the old provider's
 * config, which here is another package's), and a replace cancels the batch and discards its mail.
 * So the move is refused before any step; import is the way (docs/migrate-to-plugin.md).
 */
function movedByAlias(olds: Props | undefined): Failure | undefined {
  if (olds === undefined || !("__provider" in olds)) return undefined;
  return {
    property: "",
    reason:
      `this resource was a dynamic ScheduledBatch (${TYPE_TOKENS.dynamic}) and an alias cannot move it to the plugin safely: the engine may replace it, ` +
      "which cancels its batch and discards the batch's mail. Nothing was changed. Remove the alias; set `retainOnDelete: true` on the dynamic resource " +
      "and run `pulumi up`, then declare the plugin resource with the `import` option set to the batch id (docs/migrate-to-plugin.md)",
  };
}

function onlyScheduledBatch(urn: string): void {
  const type = urn.split("::")[2]?.split("$").pop();
  if (type !== RESOURCE_TOKEN) throw new Error(`unknown resource type ${type}; the sendgrid-batch provider has only ${RESOURCE_TOKEN}`);
}

/** The provider object for `main`, and the RPCs the SDK's server lacks (see sdkServer.ts). */
export function sendgridBatchProvider(
  pkg: PackageInfo,
  env: NodeJS.ProcessEnv = process.env,
  log?: EngineLog,
): { provider: Provider; rpcs: ProviderConfigRpcs } {
  let config: Props = {};
  const batches = new BatchResource(() => config, env, log);
  const { version } = pkg;
  const schema = JSON.stringify(packageSchema(pkg));

  const provider: Provider = {
    version,
    schema,
    check: async (urn, olds, news) => {
      onlyScheduledBatch(urn);
      const moved = movedByAlias(olds);
      if (moved) return { inputs: news ?? {}, failures: [moved] };
      return batches.check(olds ?? {}, news ?? {});
    },
    create: async (urn, inputs) => {
      onlyScheduledBatch(urn);
      return batches.create(inputs, urn);
    },
    read: async (id, urn, props) => {
      onlyScheduledBatch(urn);
      return batches.read(id, props ?? {}, urn);
    },
    update: async (id, urn, olds, news) => {
      onlyScheduledBatch(urn);
      return batches.update(id, olds, news);
    },
    delete: async (id, urn, props) => {
      onlyScheduledBatch(urn);
      return batches.delete(id, props, urn);
    },
  };

  const rpcs: ProviderConfigRpcs = {
    configure: (variables) => {
      config = configFromVariables(variables);
    },
    checkConfig: (_olds, news) => checkConfig(news, env),
    diffConfig: (olds, news) => {
      const { replaces, updates } = diffConfig(olds, news);
      const changes = replaces.length > 0 || updates.length > 0;
      return { changes, replaces, deleteBeforeReplace: false, detailedDiff: detailedDiffOf(olds, news, updates, replaces) };
    },
    diff: (id, olds, news) => batches.diff(id, olds, news),
  };
  return { provider, rpcs };
}
