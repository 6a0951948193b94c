// The Pulumi adapter: `ScheduledBatch`, a dynamic resource for one SendGrid scheduled-send batch.
//
// The provider object below is serialized into state by Pulumi's closure serializer. Each method
// therefore only `require`s the package's runtime by name and delegates: nothing is captured (no
// key, no client, no local module), so the stored text stays about 1–2 KB and survives refactors.

import * as pulumi from "@pulumi/pulumi";
import type * as Runtime from "./runtime";
import type { BatchStatus, Region } from "../core/types";
type Props = Record<string, unknown>;

export interface ScheduledBatchArgs {
  /** `active` (default: mail goes out at its send_at), `paused` (held) or `cancelled` (discarded at send_at). */
  status?: pulumi.Input<BatchStatus>;
  /** When the batch's mail is scheduled (Unix seconds or ISO 8601). Enables SendGrid's timing checks at preview. */
  sendAt?: pulumi.Input<number | string>;
  /** Adopt this existing batch id instead of creating one (`pulumi import` does not work for dynamic resources). */
  batchId?: pulumi.Input<string>;
  /** A subuser's username (or `account-id <id>`): sent as SendGrid's `on-behalf-of` header. Changing it replaces the batch. */
  onBehalfOf?: pulumi.Input<string>;
  /** `global` (api.sendgrid.com, default) or `eu` (api.eu.sendgrid.com). Changing it replaces the batch. */
  region?: pulumi.Input<Region>;
  /** Override the API base URL, e.g. the local emulator (https, or http for loopback only). */
  apiUrl?: pulumi.Input<string>;
}

// One shared object: the SDK serializes it once per process, not once per resource. It is an
// object literal, not a class: the serializer then emits no constructor or prototype, and each
// method is one line that loads the runtime by package name (resolved from the program's directory)
// through `runtime` below.
// Exported for the benchmarks only (provider/index.ts does not re-export it).
type Rt = typeof Runtime;

/**
 * The runtime, loaded by package name when a method runs. Serialized with the provider (it captures
 * nothing), so its text is in state: when the package was removed before its resources, the error
 * says how to get them updated or deleted again.
 */
function runtime(): Rt {
  try {
    return require("pulumi-sendgrid-scheduled-batch/runtime") as Rt;
  } catch (e) {
    throw new Error(`${String(e).split("\n")[0]}: reinstall pulumi-sendgrid-scheduled-batch to update or delete its resources`);
  }
}

export const provider: pulumi.dynamic.ResourceProvider<Props, Props> = {
  async configure(q) {
    runtime().configure(this, q);
  },
  async check(o, n) {
    return runtime().check(this, o, n);
  },
  async diff(i, o, n) {
    return runtime().diff(i, o, n);
  },
  async create(n) {
    return runtime().create(this, n);
  },
  async read(i, o) {
    return runtime().read(this, i, o ?? {});
  },
  async update(i, o, n) {
    return runtime().update(this, i, o, n);
  },
  async delete(i, o) {
    return runtime().remove(this, i, o);
  },
};

export class ScheduledBatch extends pulumi.dynamic.Resource {
  /** The SendGrid batch id: use it as `batch_id` in Mail Send requests. */
  declare readonly batchId: pulumi.Output<string>;
  /** The status SendGrid holds for the batch. */
  declare readonly status: pulumi.Output<BatchStatus>;

  constructor(name: string, args: ScheduledBatchArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, batchId: args.batchId, status: args.status }, opts, "sendgrid", "ScheduledBatch");
  }
}
