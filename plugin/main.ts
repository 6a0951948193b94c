// Entry point of the `pulumi-resource-sendgrid-batch` executable (bin/, and the self-contained one
// scripts/release/ builds from executable.ts): apply the two SDK shims once, serve the provider with
// `@pulumi/pulumi/provider`'s `main`, and refuse to go on when the shims did not take effect.

import { main } from "@pulumi/pulumi/provider";
import { engineAddressOf, engineLog } from "./engineLog";
import { sendgridBatchProvider } from "./provider";
import type { PackageInfo } from "./schema";
import { sdkPackage } from "./sdkModules";
import { addProviderConfigRpcs, allowReadWithoutProperties, shimProblem } from "./sdkServer";

// The package's own package.json (this file is dist/plugin/main.js in the package): its version and
// repository make the schema's (plugin/schema.ts).
const pkg = require("../../package.json") as PackageInfo & { peerDependencies?: Record<string, string> };
export const { version } = pkg;

/** Exit status of a plugin that refuses to start. */
export const REFUSED = 3;

/** The refusal's text: what is wrong, with which SDK, and what to do. */
export function refusal(problem: string, sdkVersion: string): string {
  const range = pkg.peerDependencies?.["@pulumi/pulumi"] ?? "";
  return (
    `pulumi-resource-sendgrid-batch ${version} refuses to start with @pulumi/pulumi ${sdkVersion}: ${problem}. ` +
    "Without it the provider's configuration (apiUrl, region, onBehalfOf, apiKey) would be ignored and every call would go to the default account. " +
    `Install a supported @pulumi/pulumi (${range}) beside the plugin, or a plugin release that supports ${sdkVersion}.`
  );
}

/**
 * Serve the provider. `main` resolves once the service is registered and its port announced; the
 * check runs in the same turn of the event loop, so before the engine's first call can be read:
 * a plugin whose shims did not take effect exits before it answers anything.
 */
export async function serve(args: string[]): Promise<void> {
  const { provider, rpcs } = sendgridBatchProvider(pkg, process.env, engineLog(engineAddressOf(args)));
  allowReadWithoutProperties();
  addProviderConfigRpcs(rpcs);
  await main(provider, args);
  const problem = shimProblem();
  if (problem) {
    process.stderr.write(`${refusal(problem, sdkPackage.version)}\n`);
    process.exit(REFUSED);
  }
}

/** The executable's command line: `--version` alone prints the version; anything else is the engine's. */
export function run(args: string[]): Promise<void> {
  if (args.length === 1 && args[0] === "--version") {
    process.stdout.write(`${version}\n`);
    return Promise.resolve();
  }
  return serve(args);
}
