// The `sendgrid-batch` provider plugin's resource for TypeScript programs
// (`import { ScheduledBatch, Provider } from "pulumi-sendgrid-scheduled-batch/plugin"`).
// Same inputs and types as the dynamic ScheduledBatch, minus the account: that is the provider's
// configuration (`sendgrid-batch:*` stack config, or an explicit `Provider`). The engine runs the
// plugin executable bin/pulumi-resource-sendgrid-batch; docs/plugin.md says how the engine finds it.

import * as pulumi from "@pulumi/pulumi";
import type { BatchStatus, Region } from "../core/types";
import { PACKAGE, RESOURCE_TOKEN } from "./names";

export type { BatchStatus, Region };

export interface ScheduledBatchArgs {
  /** `active` (the batch's mail goes out at its send time), `paused` (held until resumed) or `cancelled` (discarded at its send time). Changing it updates the batch in place with exactly one SendGrid call. Default: `active`. */
  status?: pulumi.Input<BatchStatus>;
  /** When the batch's mail is scheduled: Unix seconds or an ISO 8601 date-time with a zone. Used only for SendGrid's timing rules at preview (no pause or cancel later than 10 minutes before send_at; send_at at most 72 hours ahead); changing it makes no SendGrid call. */
  sendAt?: pulumi.Input<number | string>;
  /** Adopt this existing SendGrid batch id instead of creating a new batch. Naming another batch later replaces the resource (the old batch is cancelled). */
  batchId?: pulumi.Input<string>;
}

/** One SendGrid scheduled-send batch, managed by the `sendgrid-batch` provider plugin. */
export class ScheduledBatch extends pulumi.CustomResource {
  /** The SendGrid batch id: use it as `batch_id` in Mail Send requests. */
  declare readonly batchId: pulumi.Output<string>;
  /** The status SendGrid holds for the batch. */
  declare readonly status: pulumi.Output<BatchStatus>;
  /** The declared send time, if any. */
  declare readonly sendAt: pulumi.Output<number | string | undefined>;
  /** True when the batch already existed (adopted or imported) rather than created. */
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: ScheduledBatchArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(RESOURCE_TOKEN, name, { status: args.status, sendAt: args.sendAt, batchId: args.batchId, adopted: undefined }, opts);
  }
}

export interface ProviderArgs {
  /** The SendGrid API key (stored as a secret); default: the SENDGRID_API_KEY environment variable. */
  apiKey?: pulumi.Input<string>;
  /** `global` (api.sendgrid.com, the default) or `eu` (api.eu.sendgrid.com). Another region is another account: its batches are replaced. */
  region?: pulumi.Input<Region>;
  /** A subuser's username (or `account-id <id>`), sent as SendGrid's `on-behalf-of` header. Another subuser is another account: its batches are replaced. */
  onBehalfOf?: pulumi.Input<string>;
  /** The API origin, e.g. a local SendGrid emulator (`http://127.0.0.1:3030`): https, or http for loopback hosts only, without a path. Overrides `region`. Another host is another account: its batches are replaced. */
  apiUrl?: pulumi.Input<string>;
}

/**
 * One SendGrid account (or subuser): pass it as `{ provider }` to its batches. Changing its
 * region, apiUrl or onBehalfOf replaces them (another account's batch is another batch).
 */
export class Provider extends pulumi.ProviderResource {
  constructor(name: string, args: ProviderArgs = {}, opts?: pulumi.ResourceOptions) {
    const apiKey = args.apiKey === undefined ? undefined : pulumi.secret(args.apiKey);
    super(PACKAGE, name, { apiKey, region: args.region, onBehalfOf: args.onBehalfOf, apiUrl: args.apiUrl }, opts);
  }
}
