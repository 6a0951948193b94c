// The CDK constructs (cdk/) synthesized in process and read with aws-cdk-lib/assertions: one
// function for every batch of a stack and key source, its exact IAM statements, retries off, the
// properties the handler reads (checked with the handler's own parser), and bad props refused at
// synth as CDK validation errors worded by the core.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, CfnParameter, Errors, Fn, Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { BatchStatus, Region, ScheduledBatch, type ScheduledBatchProps, SendGridApiKey, SendGridBatchProvider } from "../cdk";
import { describeFailure, validateInputs } from "../core";
import { parseProperties } from "../lambda/properties";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf";
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0c7a1d1e-1111-4222-8333-444455556666";
const ENV = { account: "123456789012", region: "us-east-1" };

function newStack(id = "Batches"): Stack {
  return new Stack(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "cdk-test-")) }), id, { env: ENV });
}

/** A stack with one provider for the secret and the given batches. */
function stackWith(batches: Record<string, Omit<ScheduledBatchProps, "provider">>, apiKey = SendGridApiKey.fromSecretArn(SECRET_ARN)) {
  const stack = newStack();
  const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey });
  const made = Object.fromEntries(
    Object.entries(batches).map(([id, props]) => [id, new ScheduledBatch(stack, id, { provider, ...props })]),
  );
  return { stack, provider, batches: made, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

function only(template: Template, type: string): [string, Resources[string]] {
  const found = Object.entries(template.findResources(type) as Resources);
  expect(found).toHaveLength(1);
  return found[0] as [string, Resources[string]];
}

/** The role's statements, with the log group's logical id as <LOG_GROUP>. */
function statementsOf(template: Template): unknown[] {
  const [, role] = only(template, "AWS::IAM::Role");
  const [logGroup] = only(template, "AWS::Logs::LogGroup");
  const policies = role.Properties.Policies as { PolicyName: string; PolicyDocument: { Statement: unknown[] } }[];
  expect(policies.map((p) => p.PolicyName)).toEqual(["sendgrid-scheduled-batch"]);
  return JSON.parse(JSON.stringify(policies[0]?.PolicyDocument.Statement).replaceAll(logGroup, "<LOG_GROUP>")) as unknown[];
}

/** ListStackResources on the stacks of the function's account and Region (core/handlerFunction.ts HANDLER_STACK_READ). */
const STACK_READ_STATEMENT = {
  Sid: "ReadTheStacksResources",
  Effect: "Allow",
  Action: "cloudformation:ListStackResources",
  Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":cloudformation:us-east-1:123456789012:stack/*/*"]] },
};

const LOG_STATEMENT = {
  Sid: "OwnLogGroupOnly",
  Effect: "Allow",
  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource: {
    "Fn::Join": [
      "",
      ["arn:", { Ref: "AWS::Partition" }, ":logs:us-east-1:123456789012:log-group:", { Ref: "<LOG_GROUP>" }, ":log-stream:*"],
    ],
  },
};

describe("one provider, two batches", () => {
  const { template } = stackWith({ Newsletter: { status: BatchStatus.PAUSED }, Digest: { status: BatchStatus.ACTIVE } });

  test("share one function, one role, one log group and one retry setting", () => {
    for (const type of ["AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::Lambda::EventInvokeConfig"]) {
      template.resourceCountIs(type, 1);
    }
    const [fn] = only(template, "AWS::Lambda::Function");
    const batches = Object.values(template.findResources("Custom::SendGridScheduledBatch") as Resources);
    expect(batches).toHaveLength(2);
    for (const b of batches) expect(b.Properties.ServiceToken).toEqual({ "Fn::GetAtt": [fn, "Arn"] });
  });

  test("the role grants exactly its own log streams, ListStackResources on its account's stacks and GetSecretValue on that one secret: no managed or separate policy", () => {
    expect(statementsOf(template)).toEqual([
      LOG_STATEMENT,
      STACK_READ_STATEMENT,
      { Sid: "ReadTheApiKeySecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: SECRET_ARN },
    ]);
    const [, role] = only(template, "AWS::IAM::Role");
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    template.resourceCountIs("AWS::IAM::Policy", 0);
    template.resourceCountIs("AWS::IAM::ManagedPolicy", 0);
  });

  test("the function logs to that group, with no DependsOn beside the GetAtt of its role", () => {
    const [logGroup] = only(template, "AWS::Logs::LogGroup");
    const [role] = only(template, "AWS::IAM::Role");
    const [, fn] = only(template, "AWS::Lambda::Function");
    expect(fn.Properties.LoggingConfig).toEqual({ LogFormat: "Text", LogGroup: { Ref: logGroup } });
    expect(fn.Properties.Role).toEqual({ "Fn::GetAtt": [role, "Arn"] });
    expect(fn.DependsOn).toBeUndefined();
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  test("async retries are off, and each batch depends on that setting (so it outlives the batch's Delete)", () => {
    const [config, invoke] = only(template, "AWS::Lambda::EventInvokeConfig");
    expect(invoke.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 900, Qualifier: "$LATEST" });
    for (const b of Object.values(template.findResources("Custom::SendGridScheduledBatch") as Resources)) {
      expect(b.DependsOn).toEqual([config]);
    }
  });
});

describe("the properties are the ones the handler reads", () => {
  const inputs = {
    status: BatchStatus.PAUSED,
    sendAt: "2099-01-01T09:00:00Z",
    batchId: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi",
    onBehalfOf: "subuser-a",
    region: Region.EU,
    apiUrl: "https://api.eu.sendgrid.com",
  } as const;

  test("every prop under its template name, ServiceTimeout 300 (a string, as CDK writes numbers)", () => {
    const { template } = stackWith({ Batch: { ...inputs, sendAt: 4_070_941_200 } });
    const [, batch] = only(template, "Custom::SendGridScheduledBatch");
    expect(batch.Properties).toEqual({
      ServiceToken: { "Fn::GetAtt": [expect.any(String), "Arn"] },
      ServiceTimeout: "300",
      ApiKeySecretArn: SECRET_ARN,
      Status: "paused",
      SendAt: 4_070_941_200,
      BatchId: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi",
      OnBehalfOf: "subuser-a",
      Region: "eu",
      ApiUrl: "https://api.eu.sendgrid.com",
    });
  });

  test("the handler's parser reads them back, as CloudFormation delivers them (scalars as strings), to the same batch", () => {
    const { template } = stackWith({ Batch: inputs });
    const [, batch] = only(template, "Custom::SendGridScheduledBatch");
    const delivered = Object.fromEntries(
      Object.entries(batch.Properties).map(([k, v]) => [
        k,
        typeof v === "object" ? "arn:aws:lambda:us-east-1:123456789012:function:f" : String(v),
      ]),
    );
    // The timing rules depend on the clock; a send time in 2099 is past the 72-hour rule, so check it as an update of nothing.
    const parsed = parseProperties(delivered, { now: 4_070_900_000, previous: delivered });
    expect(parsed.failures).toEqual([]);
    expect(parsed.keySource).toEqual({ kind: "secretsmanager", secretArn: SECRET_ARN });
    expect(parsed.spec).toEqual({ ...inputs, status: "paused", region: "eu", sendAt: 4_070_941_200 });
  });

  test("a prop left out is left out (the handler's default applies)", () => {
    const { template } = stackWith({ Batch: {} });
    const [, batch] = only(template, "Custom::SendGridScheduledBatch");
    expect(Object.keys(batch.Properties).sort()).toEqual(["ApiKeySecretArn", "ServiceTimeout", "ServiceToken"]);
  });
});

describe("bad props fail the synth as CDK validation errors, in the core's words", () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, Record<string, unknown>][] = [
    ["a status SendGrid does not have", { status: "stopped" }],
    ["a send time in milliseconds", { sendAt: Date.now() }],
    ["an impossible date", { sendAt: "2026-02-30T09:00:00Z" }],
    ["a made-up batch id", { batchId: "test" }],
    ["a subuser with spaces around it", { onBehalfOf: " subuser-a " }],
    ["an unknown region", { region: "us" }],
    ["an http API URL that is not loopback", { apiUrl: "http://api.example.com" }],
    ["an API URL with a path", { apiUrl: "https://api.sendgrid.com/v3" }],
    ["a misspelt prop (JavaScript callers)", { stauts: "paused" }],
  ];

  /** What app.synth() throws for the stack (undefined when it succeeds). */
  function synthError(stack: Stack): Error | undefined {
    try {
      (stack.node.root as App).synth();
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  test.each(cases)("%s", (_name, props) => {
    const expected = validateInputs(props, { now }).failures;
    expect(expected).toHaveLength(1);
    const stack = newStack();
    const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
    // Constructing succeeds (CDK validates at synth, all constructs at once); the synth fails.
    new ScheduledBatch(stack, "Batch", { provider, ...(props as Omit<ScheduledBatchProps, "provider">) });
    const err = synthError(stack);
    expect(err && Errors.isValidationError(err)).toBe(true);
    expect(err?.message).toContain(`[Batches/Batch] ${describeFailure(expected[0] as { property: string; reason: string })}`);
  });

  test("every problem at once, one line each, naming the construct", () => {
    const stack = newStack();
    const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
    const bad = { status: "stopped", region: "us" } as unknown as Omit<ScheduledBatchProps, "provider">;
    new ScheduledBatch(stack, "Batch", { provider, ...bad });
    new ScheduledBatch(stack, "Other", { provider, batchId: "test" });
    const message = synthError(stack)?.message ?? "";
    expect(message).toMatch(/^\s*\[Batches\/Batch\] status must be one of .*\(got "stopped"\)$/m);
    expect(message).toMatch(/^\s*\[Batches\/Batch\] region must be .*\(got "us"\)$/m);
    expect(message).toMatch(/^\s*\[Batches\/Other\] batchId/m);
  });

  test("values unknown until deploy (tokens) are skipped, like Pulumi's unknowns, and pass through", () => {
    const stack = newStack();
    const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
    const status = new CfnParameter(stack, "Status", { type: "String" }).valueAsString;
    new ScheduledBatch(stack, "Batch", {
      provider,
      status: status as BatchStatus,
      apiUrl: Fn.importValue("sendgrid-api-url"),
      sendAt: new CfnParameter(stack, "SendAt", { type: "Number" }).valueAsNumber,
    });
    Template.fromStack(stack).hasResourceProperties("Custom::SendGridScheduledBatch", {
      Status: { Ref: "Status" },
      ApiUrl: { "Fn::ImportValue": "sendgrid-api-url" },
      SendAt: { Ref: "SendAt" },
    });
  });

  test("SendGrid's clock rules only warn (the handler decides them at deploy, knowing the previous properties)", () => {
    const tooFar = now + 5 * 86_400;
    const tooLate = now + 300;
    const { stack } = stackWith({ Far: { sendAt: tooFar }, Late: { status: BatchStatus.PAUSED, sendAt: tooLate } });
    const expected = [
      ...validateInputs({ sendAt: tooFar }, { now }).failures,
      ...validateInputs({ status: "paused", sendAt: tooLate }, { now }).failures,
    ];
    expect(expected.map((f) => f.property)).toEqual(["sendAt", "status"]);
    const warnings = Annotations.fromStack(stack).findWarning("*", Match.anyValue());
    expect(warnings.map((w) => w.id)).toEqual(["/Batches/Far", "/Batches/Late"]);
    // The reasons name a duration relative to now: compare the start, up to the first number of minutes or hours.
    for (const [i, w] of warnings.entries()) {
      const reason = expected[i]?.reason as string;
      expect(String(w.entry.data)).toContain(reason.slice(0, reason.search(/\d/)));
      expect(String(w.entry.data)).toMatch(/\(checked again at deploy\)/);
    }
  });

  test("strict: the clock rules are validation errors instead (and no warning is left)", () => {
    const tooFar = now + 5 * 86_400;
    const stack = newStack();
    const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
    new ScheduledBatch(stack, "Far", { provider, sendAt: tooFar, strict: true });
    const reason = validateInputs({ sendAt: tooFar }, { now }).failures[0]?.reason as string;
    const err = synthError(stack);
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "aws:cdk:warning"));
    expect(warnings).toEqual([]);
    expect(err && Errors.isValidationError(err)).toBe(true);
    expect(err?.message).toContain(`[Batches/Far] ${reason.slice(0, reason.search(/\d/))}`);
  });
});

describe("the key source", () => {
  test("an SSM parameter with a customer-managed key: GetParameter on that parameter, Decrypt through SSM only", () => {
    const { template, batches } = stackWith({ Batch: {} }, SendGridApiKey.fromParameterName("/sendgrid/api-key", { kmsKeyArn: KEY_ARN }));
    expect(statementsOf(template)).toEqual([
      LOG_STATEMENT,
      STACK_READ_STATEMENT,
      {
        Sid: "ReadTheApiKeyParameter",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":ssm:us-east-1:123456789012:parameter/sendgrid/api-key"]] },
      },
      {
        Sid: "DecryptTheApiKey",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: KEY_ARN,
        Condition: { StringEquals: { "kms:ViaService": "ssm.us-east-1.amazonaws.com" } },
      },
    ]);
    expect(batches.Batch).toBeDefined();
    template.hasResourceProperties("Custom::SendGridScheduledBatch", {
      ApiKeyParameterName: "/sendgrid/api-key",
      ApiKeySecretArn: Match.absent(),
    });
  });

  test("a secret construct with its own KMS key grants that secret and that key", () => {
    const stack = newStack();
    const key = new kms.Key(stack, "Key");
    const secret = new secretsmanager.Secret(stack, "ApiKey", { encryptionKey: key });
    const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey: SendGridApiKey.fromSecret(secret) });
    new ScheduledBatch(stack, "Batch", { provider });
    const template = Template.fromStack(stack);
    const [secretId] = only(template, "AWS::SecretsManager::Secret");
    const [keyId] = only(template, "AWS::KMS::Key");
    const statements = statementsOf(template) as { Sid: string; Resource: unknown }[];
    expect(statements.map((s) => [s.Sid, s.Resource]).slice(2)).toEqual([
      ["ReadTheApiKeySecret", { Ref: secretId }],
      ["DecryptTheApiKey", { "Fn::GetAtt": [keyId, "Arn"] }],
    ]);
    // Decrypt through Secrets Manager only: the key is not in SSM.
    expect((statements[3] as { Condition?: unknown }).Condition).toEqual({
      StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" },
    });
    template.hasResourceProperties("Custom::SendGridScheduledBatch", { ApiKeySecretArn: { Ref: secretId } });
  });

  test("the handler's rule refuses a partial secret ARN, a dynamic reference, or a secret known by name only, at synth", () => {
    const partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key";
    const handlerSays = parseProperties({ ApiKeySecretArn: partial }, { now: 0, forDelete: true }).failures[0]?.reason as string;
    expect(handlerSays).toMatch(/full ARN/);
    expect(() => SendGridApiKey.fromSecretArn(partial)).toThrow(`SendGridApiKey.fromSecretArn: ${handlerSays}`);
    expect(() => SendGridApiKey.fromParameterName("{{resolve:ssm-secure:/sendgrid/api-key}}")).toThrow(/dynamic reference/);
    const byName = secretsmanager.Secret.fromSecretNameV2(newStack(), "ByName", "sendgrid-api-key");
    expect(() => SendGridApiKey.fromSecret(byName)).toThrow(/no full ARN/);
  });

  test("one function per stack and key source: a second provider of the same key in a stack fails the synth, another key or stack does not", () => {
    const stack = newStack();
    new SendGridBatchProvider(stack, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
    new SendGridBatchProvider(stack, "Eu", { apiKey: SendGridApiKey.fromParameterName("/sendgrid/eu-key") });
    const other = newStack("Other");
    new SendGridBatchProvider(other, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
    Template.fromStack(stack).resourceCountIs("AWS::Lambda::Function", 2);
    Template.fromStack(other).resourceCountIs("AWS::Lambda::Function", 1);
    const again = newStack();
    new SendGridBatchProvider(again, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
    new SendGridBatchProvider(again, "Again", { apiKey: SendGridApiKey.fromSecretArn(SECRET_ARN) });
    expect(() => Template.fromStack(again)).toThrow(
      "[Batches/Again] Batches/SendGrid already serves this API key in stack Batches; pass that provider to every ScheduledBatch (one function per stack and key source)",
    );
  });
});

describe("SendGridBatchProvider.fromServiceToken: a function deployed elsewhere", () => {
  const FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sendgrid-scheduled-batch";

  test("the batches name it as their ServiceToken, with the key pointer it reads; the stack has no function, role, log group or retry setting", () => {
    const stack = newStack();
    const provider = SendGridBatchProvider.fromServiceToken(
      stack,
      "SendGrid",
      FUNCTION_ARN,
      SendGridApiKey.fromParameterName("/sendgrid/api-key"),
    );
    new ScheduledBatch(stack, "Newsletter", { provider, status: BatchStatus.PAUSED });
    new ScheduledBatch(stack, "Digest", { provider });
    const template = Template.fromStack(stack);
    for (const type of ["AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::Lambda::EventInvokeConfig"]) {
      template.resourceCountIs(type, 0);
    }
    const batches = Object.values(template.findResources("Custom::SendGridScheduledBatch") as Resources);
    expect(batches).toHaveLength(2);
    for (const b of batches) {
      expect(b.Properties).toMatchObject({ ServiceToken: FUNCTION_ARN, ServiceTimeout: "300", ApiKeyParameterName: "/sendgrid/api-key" });
      expect(b.DependsOn).toBeUndefined();
    }
    expect(Object.keys(template.toJSON().Resources as object)).toHaveLength(2);
  });

  test("an imported ARN (a token) passes through", () => {
    const stack = newStack();
    const token = Fn.importValue("sendgrid-scheduled-batch-ServiceToken");
    const provider = SendGridBatchProvider.fromServiceToken(stack, "SendGrid", token, SendGridApiKey.fromSecretArn(SECRET_ARN));
    new ScheduledBatch(stack, "Batch", { provider });
    Template.fromStack(stack).hasResourceProperties("Custom::SendGridScheduledBatch", {
      ServiceToken: { "Fn::ImportValue": "sendgrid-scheduled-batch-ServiceToken" },
    });
  });

  test.each([
    ["a version", `${FUNCTION_ARN}:3`, /names a version or an alias/],
    ["an alias", `${FUNCTION_ARN}:live`, /names a version or an alias/],
    ["an SNS topic", "arn:aws:sns:us-east-1:123456789012:topic", /is not a Lambda function ARN/],
  ])("%s fails the synth", (_name, arn, reason) => {
    const stack = newStack();
    const provider = SendGridBatchProvider.fromServiceToken(stack, "SendGrid", arn, SendGridApiKey.fromSecretArn(SECRET_ARN));
    new ScheduledBatch(stack, "Batch", { provider });
    expect(() => Template.fromStack(stack)).toThrow(reason);
  });
});

test("the function's code is the bundle lambda/template.yaml deploys: lambda/dist/index.js alone", () => {
  const { stack } = stackWith({ Batch: {} });
  const assembly = (stack.node.root as App).synth();
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${stack.stackName}.assets.json`), "utf8")) as {
    files: Record<string, { source: { path: string; packaging: string } }>;
  };
  const files = Object.values(manifest.files)
    .filter((f) => f.source.packaging === "zip")
    .map((f) => path.join(assembly.directory, f.source.path));
  expect(files).toHaveLength(1);
  const dir = files[0] as string;
  expect(fs.readdirSync(dir)).toEqual(["index.js"]);
  expect(fs.readFileSync(path.join(dir, "index.js"))).toEqual(fs.readFileSync(path.join(__dirname, "..", "lambda", "dist", "index.js")));
});
