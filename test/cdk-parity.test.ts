// The CDK constructs and lambda/template.yaml deploy the same handler: the same permissions, runtime,
// timeout, memory, retries, log retention and batch properties, and the same deletion order. Both
// templates are evaluated for each key source (the template's Conditions and !If decided, its
// parameters at their defaults) and compared; a change to either side alone fails here.

import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { BatchStatus, Region, ScheduledBatch, SendGridApiKey, SendGridBatchProvider } from "../cdk";
import { KNOWN_PROPERTIES } from "../lambda/properties";
import { REPO_ROOT } from "../scripts/lib/repoRoot";
import { cfnLintPath } from "./support/cdkApp";

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[]; Condition?: string };
type Cfn = {
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, Resource>;
};

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf";
const PARAMETER = "/sendgrid/api-key";
const KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0c7a1d1e-1111-4222-8333-444455556666";
const PSEUDO: Record<string, string> = { "AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012" };
const NO_VALUE = Symbol("AWS::NoValue");

let yamlTemplate: Cfn;
beforeAll(() => {
  // cfn-lint's own loader decodes the short forms (!Ref, !If, !Sub …) into their JSON shape.
  const python = path.join(path.dirname(cfnLintPath()), "python");
  const script = "import json,sys\nfrom cfnlint.decode import decode\nt,m=decode(sys.argv[1])\nprint(json.dumps(t, default=str))";
  yamlTemplate = JSON.parse(
    execFileSync(python, ["-c", script, path.join(REPO_ROOT, "lambda", "template.yaml")], { encoding: "utf8" }),
  ) as Cfn;
}, 300_000);

/** A template with its parameters set: intrinsics evaluated, resources whose Condition is false dropped. */
function evaluate(template: Cfn, parameters: Record<string, string>): Record<string, Resource> {
  const params: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(template.Parameters ?? {})) params[name] = parameters[name] ?? p.Default;
  const conditions: Record<string, boolean> = {};
  const ref = (name: string): unknown => {
    if (name === "AWS::NoValue") return NO_VALUE;
    if (name in PSEUDO) return PSEUDO[name];
    if (name in params) return params[name];
    const resource = template.Resources[name];
    if (!resource) throw new Error(`Ref to unknown ${name}`);
    // A log group's Ref is its name; a made-up name otherwise.
    return resource.Properties?.LogGroupName !== undefined ? value(resource.Properties.LogGroupName) : `<${name}>`;
  };
  const condition = (name: string): boolean => {
    conditions[name] ??= value(template.Conditions?.[name]) as boolean;
    return conditions[name] as boolean;
  };
  const value = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(value).filter((v) => v !== NO_VALUE);
    if (node === null || typeof node !== "object") return node;
    const o = node as Record<string, unknown>;
    const [key] = Object.keys(o);
    const arg = key === undefined ? undefined : o[key];
    switch (key) {
      case "Ref":
        return ref(arg as string);
      case "Fn::Sub":
        return (arg as string).replace(/\$\{([^}]+)\}/g, (_m, name: string) => String(name.includes(".") ? `<${name}>` : ref(name)));
      case "Fn::Join": {
        const [sep, items] = arg as [string, unknown[]];
        return (value(items) as unknown[]).join(sep);
      }
      case "Fn::GetAtt":
        return `<${(arg as string[]).join(".")}>`;
      case "Fn::If": {
        const [cond, yes, no] = arg as [string, unknown, unknown];
        return value(condition(cond) ? yes : no);
      }
      case "Fn::Equals": {
        const [a, b] = value(arg) as unknown[];
        return a === b;
      }
      case "Fn::Not":
        return !(value(arg) as boolean[])[0];
      case "Fn::And":
        return (value(arg) as boolean[]).every(Boolean);
      case "Fn::Or":
        return (value(arg) as boolean[]).some(Boolean);
      case "Condition":
        return condition(arg as string);
    }
    return Object.fromEntries(
      Object.entries(o)
        .map(([k, v]) => [k, value(v)])
        .filter(([, v]) => v !== NO_VALUE),
    );
  };
  const out: Record<string, Resource> = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Condition !== undefined && !condition(r.Condition)) continue;
    out[id] = { ...r, Properties: value(r.Properties ?? {}) as Record<string, unknown> };
  }
  return out;
}

function one(resources: Record<string, Resource>, type: string): [string, Resource] {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type);
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** What deploys the handler, and one batch, in a form both sides share: the log group's name as <LOG_GROUP>, resources by type. */
function deployed(resources: Record<string, Resource>) {
  const [, fn] = one(resources, "AWS::Lambda::Function");
  const logGroupName = (fn.Properties as { LoggingConfig: { LogGroup: string } }).LoggingConfig.LogGroup;
  const text = JSON.stringify(resources).replaceAll(logGroupName, "<LOG_GROUP>");
  const r = JSON.parse(text) as Record<string, Resource>;
  const props = (type: string) => one(r, type)[1].Properties ?? {};
  const role = props("AWS::IAM::Role");
  const fnProps = props("AWS::Lambda::Function");
  const invoke = props("AWS::Lambda::EventInvokeConfig");
  const [batchId, batch] = one(r, "Custom::SendGridScheduledBatch");
  const { ServiceTimeout, ServiceToken: _token, ...batchProperties } = batch.Properties ?? {};
  return {
    trust: role.AssumeRolePolicyDocument,
    statements: (role.Policies as { PolicyDocument: { Statement: unknown[] } }[]).flatMap((p) => p.PolicyDocument.Statement),
    managedPolicies: role.ManagedPolicyArns ?? [],
    otherPolicies: Object.values(r).filter((x) => x.Type === "AWS::IAM::Policy" || x.Type === "AWS::IAM::ManagedPolicy").length,
    function: {
      Runtime: fnProps.Runtime,
      Handler: fnProps.Handler,
      Architectures: fnProps.Architectures,
      MemorySize: fnProps.MemorySize,
      Timeout: fnProps.Timeout,
      LoggingConfig: fnProps.LoggingConfig,
    },
    logRetentionDays: props("AWS::Logs::LogGroup").RetentionInDays,
    retries: {
      MaximumRetryAttempts: invoke.MaximumRetryAttempts,
      MaximumEventAgeInSeconds: invoke.MaximumEventAgeInSeconds,
      Qualifier: invoke.Qualifier,
    },
    serviceTimeout: Number(ServiceTimeout),
    batchProperties,
    // Everything the batch's Delete needs is deleted after it (aws/aws-cdk#9840).
    batchOutlives: dependencies(resources, batchId)
      .map((id) => resources[id]?.Type)
      .sort(),
  };
}

/** Every resource `id` depends on, directly or not (Ref, GetAtt, Fn::Sub, DependsOn). */
function dependencies(resources: Record<string, Resource>, id: string, seen = new Set<string>()): string[] {
  const r = resources[id];
  if (!r) return [];
  const text = JSON.stringify(r.Properties);
  const direct = new Set([...(Array.isArray(r.DependsOn) ? r.DependsOn : r.DependsOn ? [r.DependsOn] : [])]);
  for (const other of Object.keys(resources)) if (other !== id && text.includes(`<${other}`)) direct.add(other);
  for (const d of direct) {
    if (seen.has(d)) continue;
    seen.add(d);
    dependencies(resources, d, seen);
  }
  return [...seen].sort();
}

/** The CDK side: env-agnostic (region, account and partition stay pseudo parameters, as in the YAML). */
function cdkStack(apiKey: SendGridApiKey): Cfn {
  const stack = new Stack();
  const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey });
  new ScheduledBatch(stack, "Batch", { provider, status: BatchStatus.PAUSED });
  return Template.fromStack(stack).toJSON() as Cfn;
}

const variants: [string, Record<string, string>, SendGridApiKey][] = [
  ["a Secrets Manager secret", { ApiKeySecretArn: SECRET_ARN }, SendGridApiKey.fromSecretArn(SECRET_ARN)],
  [
    "a secret with a customer-managed KMS key",
    { ApiKeySecretArn: SECRET_ARN, KmsKeyArn: KMS_KEY },
    SendGridApiKey.fromSecretArn(SECRET_ARN, { kmsKeyArn: KMS_KEY }),
  ],
  ["an SSM SecureString parameter", { ApiKeyParameterName: PARAMETER }, SendGridApiKey.fromParameterName(PARAMETER)],
  [
    "a parameter with a customer-managed KMS key",
    { ApiKeyParameterName: PARAMETER, KmsKeyArn: KMS_KEY },
    SendGridApiKey.fromParameterName(PARAMETER, { kmsKeyArn: KMS_KEY }),
  ],
];

describe.each(variants)("with %s, the CDK constructs deploy what lambda/template.yaml deploys", (_name, parameters, apiKey) => {
  test("the same role, function, retries, log retention, batch properties and deletion order", () => {
    // The template's example batch is paused (ExampleBatchStatus's default), as the CDK batch here.
    const yaml = deployed(evaluate(yamlTemplate, { CodeS3Bucket: "bucket", CodeS3Key: "key", ...parameters }));
    const cdk = deployed(evaluate(cdkStack(apiKey), {}));
    expect(cdk).toEqual(yaml);
    // And what they are, so that a change made to both alike is seen too.
    expect(yaml.function).toEqual({
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Architectures: ["arm64"],
      MemorySize: 256,
      Timeout: 120,
      LoggingConfig: { LogFormat: "Text", LogGroup: "<LOG_GROUP>" },
    });
    expect(yaml.retries.MaximumRetryAttempts).toBe(0);
    expect(yaml.serviceTimeout).toBe(300);
    expect(yaml.managedPolicies).toEqual([]);
    expect(yaml.batchOutlives).toEqual(
      expect.arrayContaining(["AWS::IAM::Role", "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::Function", "AWS::Logs::LogGroup"]),
    );
  });
});

test("the properties a ScheduledBatch can write are exactly those the handler reads", () => {
  const stack = new Stack();
  const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
  const other = new SendGridBatchProvider(stack, "Ssm", { apiKey: SendGridApiKey.fromParameterName(PARAMETER) });
  new ScheduledBatch(stack, "Every", {
    provider,
    status: BatchStatus.PAUSED,
    sendAt: "2099-01-01T09:00:00Z",
    batchId: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi",
    onBehalfOf: "subuser-a",
    region: Region.EU,
    apiUrl: "https://api.eu.sendgrid.com",
  });
  new ScheduledBatch(stack, "ViaSsm", { provider: other });
  const written = new Set(
    Object.values((Template.fromStack(stack).toJSON() as Cfn).Resources)
      .filter((r) => r.Type === "Custom::SendGridScheduledBatch")
      .flatMap((r) => Object.keys(r.Properties ?? {})),
  );
  expect([...written].sort()).toEqual([...KNOWN_PROPERTIES].sort());
});
