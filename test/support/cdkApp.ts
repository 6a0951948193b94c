// The example CDK app (examples/cdk) synthesized the way the aws-cdk CLI does it: the `app`
// command of its cdk.json, run in that directory with CDK_OUTDIR (where to write the cloud
// assembly) and CDK_CONTEXT_JSON (the context, -c key=value). Needs `npm run build` (the command
// runs the compiled app) and `npm run build:lambda` (the bundle the construct ships).

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/repoRoot";

export const APP_DIR = path.join(REPO_ROOT, "examples", "cdk");
export const STACK_NAME = "SendGridBatches";

export type Template = {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
  Outputs?: Record<string, unknown>;
};

export interface Synthesized {
  code: number | null;
  stderr: string;
  outdir: string;
  /** The stack's template (undefined when the synth failed). */
  template?: Template;
  templateFile: string;
}

export function appCommand(): string {
  return (JSON.parse(fs.readFileSync(path.join(APP_DIR, "cdk.json"), "utf8")) as { app: string }).app;
}

export function synthApp(context: Record<string, string> = {}): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cdk-out-"));
  const r = spawnSync(appCommand(), {
    cwd: APP_DIR,
    shell: true,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? os.tmpdir(),
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(context),
    },
  });
  const templateFile = path.join(outdir, `${STACK_NAME}.template.json`);
  const template = fs.existsSync(templateFile) ? (JSON.parse(fs.readFileSync(templateFile, "utf8")) as Template) : undefined;
  return { code: r.status, stderr: r.stderr, outdir, template, templateFile };
}

/** The logical ids of the template's resources of one type. */
export function idsOf(template: Template, type: string): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
}

let cfnLintBin: string | undefined;
/** cfn-lint from PyPI (scripts/ensure-cfn-lint.sh prints its path; `npm test` exports it as CFN_LINT). */
export function cfnLintPath(): string {
  cfnLintBin ??=
    process.env.CFN_LINT ||
    (execFileSync("bash", [path.join(REPO_ROOT, "scripts", "ensure-cfn-lint.sh")], { encoding: "utf8", timeout: 300_000 })
      .trim()
      .split("\n")
      .pop() as string);
  return cfnLintBin;
}

export function cfnLint(file: string): { code: number | null; output: string } {
  const r = spawnSync(cfnLintPath(), [file], { encoding: "utf8" });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
