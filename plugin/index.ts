// The `sendgrid-batch` provider plugin's resource for TypeScript programs
// (`import { ScheduledBatch, Provider } from "pulumi-sendgrid-scheduled-batch/plugin"`).
// Same inputs and types as the dynamic ScheduledBatch, minus the account: that is the provider's
// configuration (`sendgrid-batch:*` stack config, or an explicit `Provider`). The engine runs the
// plugin executable bin/pulumi-resource-sendgrid-batch; docs/plugin.md says how the engine finds it.

import * as pulumi from "@pulumi/pulumi";
import { ADOPTED_OUTPUT } from "../core/properties";
import type { BatchStatus, Region } from "../core/types";
import { type ProviderArgs, type ScheduledBatchArgs, ScheduledBatchResource } from "./args.generated";
import { CONFIG_KEYS, PACKAGE, RESOURCE_INPUTS, RESOURCE_TOKEN } from "./names";

export type { BatchStatus, ProviderArgs, Region, ScheduledBatchArgs };

/** `args`' value of each of `keys` (undefined when not set: the SDK then sets that output on the resource). */
const pick = <A extends object>(args: A, keys: readonly string[]) =>
  Object.fromEntries(keys.map((k) => [k, (args as Record<string, unknown>)[k]]));

/** One SendGrid scheduled-send batch, managed by the `sendgrid-batch` provider plugin. */
export class ScheduledBatch extends ScheduledBatchResource {
  constructor(name: string, args: ScheduledBatchArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(RESOURCE_TOKEN, name, { ...pick(args, RESOURCE_INPUTS), [ADOPTED_OUTPUT.name]: undefined }, opts);
  }
}

/**
 * One SendGrid account (or subuser): pass it as `{ provider }` to its batches. Changing its
 * region, apiUrl or onBehalfOf replaces them (another account's batch is another batch).
 */
export class Provider extends pulumi.ProviderResource {
  constructor(name: string, args: ProviderArgs = {}, opts?: pulumi.ResourceOptions) {
    const apiKey = args.apiKey === undefined ? undefined : pulumi.secret(args.apiKey);
    super(PACKAGE, name, { ...pick(args, CONFIG_KEYS), apiKey }, opts);
  }
}
