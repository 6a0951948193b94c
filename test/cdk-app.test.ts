// The example CDK app (examples/cdk) run as the aws-cdk CLI runs it: cdk.json's `app` command with
// CDK_OUTDIR writes the cloud assembly, and AWS's cfn-lint finds nothing in its template.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateInputs } from "../core";
import { REPO_ROOT } from "../scripts/lib/repoRoot";
import { STACK_NAME, type Synthesized, cfnLint, cfnLintPath, idsOf, synthApp } from "./support/cdkApp";

let app: Synthesized;
beforeAll(() => {
  cfnLintPath();
  app = synthApp();
}, 300_000);

describe("cdk.json's app command, run with CDK_OUTDIR", () => {
  test("writes the cloud assembly: the manifest, the stack's template and the handler bundle as its one asset", () => {
    expect(app.stderr).toBe("");
    expect(app.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(app.outdir, "manifest.json"), "utf8")) as {
      artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
    };
    expect(manifest.artifacts[STACK_NAME]).toMatchObject({
      type: "aws:cloudformation:stack",
      properties: { templateFile: `${STACK_NAME}.template.json` },
    });
    const assets = fs.readdirSync(app.outdir).filter((f) => f.startsWith("asset."));
    expect(assets).toHaveLength(1);
    const assetDir = path.join(app.outdir, assets[0] as string);
    expect(fs.readdirSync(assetDir)).toEqual(["index.js"]);
    expect(fs.readFileSync(path.join(assetDir, "index.js"))).toEqual(fs.readFileSync(path.join(REPO_ROOT, "lambda", "dist", "index.js")));
  });

  test("the template holds two batches served by one function, and outputs their ids", () => {
    const template = app.template!;
    const [fn, ...more] = idsOf(template, "AWS::Lambda::Function");
    expect(more).toEqual([]);
    const batches = idsOf(template, "Custom::SendGridScheduledBatch");
    expect(batches).toHaveLength(2);
    for (const id of batches) expect(template.Resources[id]?.Properties.ServiceToken).toEqual({ "Fn::GetAtt": [fn, "Arn"] });
    expect(Object.keys(template.Outputs ?? {})).toEqual(["NewsletterBatchId", "DigestBatchId"]);
  });

  test("context changes the batches (-c sendgrid:newsletterStatus=cancelled)", () => {
    const cancelled = synthApp({ "sendgrid:newsletterStatus": "cancelled" });
    expect(cancelled.code).toBe(0);
    const statuses = idsOf(cancelled.template!, "Custom::SendGridScheduledBatch").map(
      (id) => cancelled.template!.Resources[id]?.Properties.Status,
    );
    expect(statuses).toEqual(["cancelled", "active"]);
  });

  test("a bad status fails the synth with the core's message, and no template is written", () => {
    const bad = synthApp({ "sendgrid:newsletterStatus": "stopped" });
    expect(bad.code).not.toBe(0);
    expect(bad.template).toBeUndefined();
    const reason = validateInputs({ status: "stopped" }, { now: 0 }).failures[0]?.reason as string;
    expect(bad.stderr).toContain(`[${STACK_NAME}/Newsletter] ${reason}`);
  });
});

describe("cfn-lint on the synthesized template", () => {
  test("finds nothing: no error, no warning, no informational finding", () => {
    const { code, output } = cfnLint(app.templateFile);
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  test("a broken copy fails it (so the check can fail): retries 7, and a DependsOn the role's GetAtt already enforces", () => {
    const template = JSON.parse(fs.readFileSync(app.templateFile, "utf8")) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
    };
    const [config] = idsOf(template, "AWS::Lambda::EventInvokeConfig");
    const [fn] = idsOf(template, "AWS::Lambda::Function");
    const [role] = idsOf(template, "AWS::IAM::Role");
    template.Resources[config as string]!.Properties.MaximumRetryAttempts = 7;
    template.Resources[fn as string]!.DependsOn = [role as string];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cdk-broken-")), "template.json");
    fs.writeFileSync(file, JSON.stringify(template, null, 1));
    const { code, output } = cfnLint(file);
    expect(code).not.toBe(0);
    expect(output).toMatch(/E3034 7 is greater than the maximum of 2/);
    expect(output).toMatch(/W3005 '.*' dependency already enforced by a 'GetAtt'/);
  });
});
