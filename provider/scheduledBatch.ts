// The Pulumi adapter: `ScheduledBatch`, a dynamic resource for one SendGrid scheduled-send batch.
//
// The provider is serialized into state by Pulumi's closure serializer, twice per resource (inputs
// and outputs). Nothing is captured (no key, no client, no local module): the logic lives in the
// package's runtime module, loaded by name in the provider process.

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { INPUT_PROPERTIES, TYPE_TOKENS } from "../core/properties";
import { type ScheduledBatchArgs, ScheduledBatchResource } from "./args.generated";
import type * as Runtime from "./runtime";

type Props = Record<string, unknown>;
type Rt = typeof Runtime;

export type { ScheduledBatchArgs };

const RUNTIME = "pulumi-sendgrid-scheduled-batch/runtime";

/**
 * The runtime, loaded by package name (resolved from the program's directory, in the provider
 * process) when a method of the linked shape below runs. Serialized with it (it captures nothing),
 * so its text is in state: when the package was removed before its resources, the error says how to
 * get them updated or deleted again.
 */
function runtime(): Rt {
  try {
    return require("pulumi-sendgrid-scheduled-batch/runtime") as Rt;
  } catch (e) {
    throw new Error(`${String(e).split("\n")[0]}: reinstall pulumi-sendgrid-scheduled-batch to update or delete its resources`);
  }
}

// The shape for a linked package: an object literal whose methods delegate to the runtime. About
// 2.5 KB per copy.
const delegatingProvider: pulumi.dynamic.ResourceProvider<Props, Props> = {
  configure: async (q) => runtime().configure(q),
  check: async (o, n) => runtime().check(o, n),
  diff: async (i, o, n) => runtime().diff(i, o, n),
  create: async (n) => runtime().create(n),
  read: async (i, o) => runtime().read(i, o),
  update: async (i, o, n) => runtime().update(i, o, n),
  delete: async (i, o) => runtime().remove(i, o),
};

/**
 * Whether Pulumi's serializer would store the runtime module as a single `require` of the package runtime:
 * it does so for a module's exports only when the module's real path, relative to the working
 * directory, runs through node_modules/<package>/. A linked package (npm link, `file:`, workspaces)
 * resolves outside node_modules and would be copied by value (about 57 KB), so it keeps the literal.
 */
function runtimeIsInstalled(cwd = process.cwd()): boolean {
  let real: string;
  try {
    real = fs.realpathSync(require.resolve(RUNTIME));
  } catch {
    return false; // not resolvable by name (e.g. run from source before a build)
  }
  const parts = path.relative(cwd, real).split(path.sep);
  const at = parts.indexOf("node_modules");
  return at >= 0 && parts[at + 1] === "pulumi-sendgrid-scheduled-batch";
}

// One shared object, so the SDK serializes it once per process. When the package is installed the
// provider is the runtime module itself (its exports have the provider's shape): state then holds a
// single `require` of it (about 0.3 KB per copy instead of 2.5 KB). If the package is missing where
// the provider runs, Node's error names it: "Cannot find module 'pulumi-sendgrid-scheduled-batch/runtime'".
const provider: pulumi.dynamic.ResourceProvider<Props, Props> = runtimeIsInstalled()
  ? (require("pulumi-sendgrid-scheduled-batch/runtime") as Rt)
  : delegatingProvider;

/**
 * The URN the engine gives a ScheduledBatch named `name` under `parent`. The parent's URN is taken
 * through a promise, not as its output: an output of a component would make this resource depend
 * on the component, which the SDK expands to all of its children (a sibling that uses this batch
 * would then wait for itself).
 */
function resourceUrn(name: string, parent: pulumi.Resource | undefined): pulumi.Output<string> {
  const parentUrn =
    parent === undefined
      ? undefined
      : new Promise<string>((resolve) => {
          parent.urn.apply(resolve);
        });
  return pulumi.createUrn(name, TYPE_TOKENS.dynamic, parentUrn);
}

/**
 * One SendGrid scheduled-send batch: a batch id to send mail with, and whether its mail goes out
 * (`active`), is held (`paused`) or is discarded at its send time (`cancelled`).
 *
 * ## Example Usage
 *
 * ```typescript
 * import { ScheduledBatch } from "pulumi-sendgrid-scheduled-batch";
 *
 * // Secret stack config `sendgrid:apiKey` (or SENDGRID_API_KEY) holds the API key.
 * const launch = new ScheduledBatch("launch", {
 *     status: "paused", // hold the mail until the launch is confirmed
 *     sendAt: "2026-12-01T09:00:00Z",
 * });
 * export const batchId = launch.batchId; // send mail with { batchId, sendAt }
 * ```
 */
export class ScheduledBatch extends ScheduledBatchResource {
  constructor(name: string, args: ScheduledBatchArgs = {}, opts?: pulumi.CustomResourceOptions) {
    // Every output is named in the props (undefined ones are not sent) so the SDK sets it on the resource.
    const props = {
      ...Object.fromEntries(INPUT_PROPERTIES.map((p) => [p, undefined])),
      ...args,
      adopted: undefined,
      // The provider is not told which resource it serves: this hidden input names it (its URN), so
      // the journal's lines do and adopting an id another resource holds is refused (BATCH_HELD).
      // The diff ignores it; state's outputs leave it out.
      __resource: resourceUrn(name, opts?.parent),
    };
    super(provider, name, props, opts, TYPE_TOKENS.dynamicModule, TYPE_TOKENS.typeName);
  }
}
