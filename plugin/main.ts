// Entry point of the `pulumi-resource-sendgrid-batch` executable (bin/, and the self-contained one
// scripts/release/ builds from executable.ts): apply the two SDK shims once, then serve the provider
// with `@pulumi/pulumi/provider`'s `main`.

import { main } from "@pulumi/pulumi/provider";
import { engineAddressOf, engineLog } from "./engineLog";
import { sendgridBatchProvider } from "./provider";
import type { PackageInfo } from "./schema";
import { addProviderConfigRpcs, allowReadWithoutProperties } from "./sdkServer";

// The package's own package.json (this file is dist/plugin/main.js in the package): its version and
// repository make the schema's (plugin/schema.ts).
const pkg = require("../../package.json") as PackageInfo;
export const { version } = pkg;

export function serve(args: string[]): Promise<void> {
  const { provider, rpcs } = sendgridBatchProvider(pkg, process.env, engineLog(engineAddressOf(args)));
  allowReadWithoutProperties();
  addProviderConfigRpcs(rpcs);
  return main(provider, args);
}

/** The executable's command line: `--version` alone prints the version; anything else is the engine's. */
export function run(args: string[]): Promise<void> {
  if (args.length === 1 && args[0] === "--version") {
    process.stdout.write(`${version}\n`);
    return Promise.resolve();
  }
  return serve(args);
}
