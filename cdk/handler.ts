// The handler function's settings and where its code comes from. The settings are the core's
// (core/handlerFunction.ts), which lambda/template.yaml is held to; test/cdk-parity.test.ts also
// compares what the two deploy.

import * as fs from "node:fs";
import * as path from "node:path";
import { HANDLER_FUNCTION } from "../core/handlerFunction";
import { TYPE_TOKENS } from "../core/properties";

export const HANDLER = HANDLER_FUNCTION;

export const RESOURCE_TYPE = TYPE_TOKENS.cloudFormation;

/**
 * The packages that ship these constructs with the bundle: this one (the `./cdk` entry point) and
 * the jsii construct library built from the same sources (cdk-constructs/).
 */
const PACKAGE_NAMES: readonly unknown[] = ["pulumi-sendgrid-scheduled-batch", "sendgrid-scheduled-batch-cdk"];

/**
 * The directory holding the handler bundle (index.js), the one lambda/template.yaml deploys: the
 * package's lambda/dist, found from cdk/ (source), dist/cdk/ (built, or installed from npm) or the
 * construct library's lib/cdk/ (also inside a Python, Java, .NET or Go package's jsii assembly).
 */
export function bundleDirectory(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (!fs.existsSync(manifest) || !PACKAGE_NAMES.includes((JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown }).name))
      continue;
    const bundle = path.join(dir, "lambda", "dist");
    if (!fs.existsSync(path.join(bundle, "index.js"))) {
      throw new Error(`the handler bundle ${path.join(bundle, "index.js")} is missing; build it with \`npm run build:lambda\``);
    }
    return bundle;
  }
  throw new Error(`no ${PACKAGE_NAMES.join(" or ")} package.json above ${__dirname}`);
}
