// lambda/template.yaml validated with AWS's cfn-lint (from PyPI, installed into a cached venv by
// scripts/ensure-cfn-lint.sh), plus the design rules the linter cannot know.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HANDLER_FUNCTION, HANDLER_STACK_READ } from "../core/handlerFunction";

const ROOT = path.resolve(__dirname, "..");
const TEMPLATE = path.join(ROOT, "lambda", "template.yaml");

let cfnLint = "";
beforeAll(() => {
  cfnLint = execFileSync("bash", [path.join(ROOT, "scripts", "ensure-cfn-lint.sh")], { encoding: "utf8", timeout: 300_000 })
    .trim()
    .split("\n")
    .pop() as string;
}, 300_000);

function lint(file: string): { code: number | null; output: string } {
  const r = spawnSync(cfnLint, [file], { encoding: "utf8" });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The template as JSON, decoded by cfn-lint's own YAML loader (it understands !Ref, !If, …). */
function decoded(): {
  Parameters: Record<string, { AllowedPattern?: string; Default?: unknown }>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
} {
  const python = path.join(path.dirname(cfnLint), "python");
  const json = execFileSync(
    python,
    ["-c", "import json,sys\nfrom cfnlint.decode import decode\nt,m=decode(sys.argv[1])\nprint(json.dumps(t, default=str))", TEMPLATE],
    { encoding: "utf8" },
  );
  return JSON.parse(json) as ReturnType<typeof decoded>;
}

describe("lambda/template.yaml", () => {
  test("passes cfn-lint with no error or warning", () => {
    const { code, output } = lint(TEMPLATE);
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  test("a deliberately broken copy fails cfn-lint (so the check can fail)", () => {
    const broken = fs
      .readFileSync(TEMPLATE, "utf8")
      .replace("Runtime: nodejs22.x", "Runtime: nodejs99.x")
      .replace("MaximumRetryAttempts: 0", "MaximumRetryAttempts: 7");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cfn-broken-")), "template.yaml");
    fs.writeFileSync(file, broken);
    const { code, output } = lint(file);
    expect(code).not.toBe(0);
    expect(output).toMatch(/nodejs99\.x/);
    expect(output).toMatch(/E3034 7 is greater than the maximum of 2/);
  });

  test("encodes the design rules: nodejs22.x, 0 async retries, ServiceTimeout above the function timeout, scoped IAM", () => {
    const { Resources: r } = decoded();
    const fn = r.Function!.Properties;
    expect(fn.Runtime).toBe("nodejs22.x");
    expect(fn.Handler).toBe("index.handler");
    expect(fn.FunctionName).toEqual({ Ref: "FunctionName" });
    expect(r.FunctionEventInvokeConfig!.Properties.MaximumRetryAttempts).toBe(0);
    const batch = r.ExampleBatch!;
    expect(batch.Type).toBe("Custom::SendGridScheduledBatch");
    expect(Number(batch.Properties.ServiceTimeout)).toBeGreaterThan(Number(fn.Timeout));
    expect(batch.DependsOn).toEqual(expect.arrayContaining(["FunctionRole", "FunctionLogGroup", "FunctionEventInvokeConfig"]));
    expect(r.FunctionLogGroup!.Properties.RetentionInDays).toEqual({ Ref: "LogRetentionInDays" });

    const policy = JSON.stringify(r.FunctionRole!.Properties.Policies);
    expect(policy).not.toMatch(/"Resource":"\*"/);
    expect(policy).not.toMatch(/"Action":"[a-z]+:\*"/);
    expect(policy).not.toContain("logs:CreateLogGroup");
    for (const action of ["logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue", "ssm:GetParameter", "kms:Decrypt"])
      expect(policy).toContain(action);
  });

  test("grants the core's one CloudFormation read (core/handlerFunction.ts HANDLER_STACK_READ) on the stacks of its own account and Region only", () => {
    const { Resources: r } = decoded();
    const statements = (r.FunctionRole!.Properties.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[])[0]!
      .PolicyDocument.Statement;
    expect(statements.filter((st) => JSON.stringify(st).includes("cloudformation:"))).toEqual([
      {
        Sid: HANDLER_STACK_READ.sid,
        Effect: "Allow",
        Action: HANDLER_STACK_READ.action,
        Resource: { "Fn::Sub": `arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:${HANDLER_STACK_READ.resource}` },
      },
    ]);
  });

  test("deploys the handler with the core's function settings (core/handlerFunction.ts, which the CDK constructs and the Pulumi example read)", () => {
    const { Parameters: p, Resources: r } = decoded();
    const fn = r.Function!.Properties;
    const invoke = r.FunctionEventInvokeConfig!.Properties;
    expect({
      runtime: fn.Runtime,
      architecture: (fn.Architectures as string[]).join(),
      handler: fn.Handler,
      memorySize: Number(fn.MemorySize),
      timeoutSeconds: Number(fn.Timeout),
      serviceTimeoutSeconds: Number(r.ExampleBatch!.Properties.ServiceTimeout),
      retryAttempts: Number(invoke.MaximumRetryAttempts),
      maxEventAgeSeconds: Number(invoke.MaximumEventAgeInSeconds),
      logRetentionDays: Number(p.LogRetentionInDays!.Default),
      logFormat: (fn.LoggingConfig as { LogFormat?: unknown }).LogFormat,
    }).toEqual(HANDLER_FUNCTION);
  });

  test("ApiKeySecretArn takes only a full secret ARN (with the 6-character suffix), so a partial one fails at deploy", () => {
    // The role grants exactly this ARN: a partial ARN would deploy, then fail with AccessDenied.
    const pattern = new RegExp(decoded().Parameters.ApiKeySecretArn?.AllowedPattern as string);
    for (const ok of [
      "",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf",
      "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:team/sendgrid-9aZ0xY",
    ])
      expect({ ok, matches: pattern.test(ok) }).toEqual({ ok, matches: true });
    for (const bad of [
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdE",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf-",
      "sendgrid-api-key",
    ])
      expect({ bad, matches: pattern.test(bad) }).toEqual({ bad, matches: false });
  });
});
