// The Pulumi program that deploys the handler (examples/cloudformation-lambda), run under Pulumi's
// runtime mocks: nothing is deployed and no provider plugin is needed. The mock monitor is wrapped
// to also see the resource options the engine would receive (protect, dependsOn).

import * as pulumi from "@pulumi/pulumi";
import { HANDLER_FUNCTION, HANDLER_STACK_READ } from "../core/handlerFunction";

const PROJECT = "sendgrid-cfn-lambda";
const API_KEY = "SG.deployProgramTestKey.0123456789abcdefghijklmnopqrstuvwxyz";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  protect: boolean;
}

const registered: Registered[] = [];
const protectedByName = new Map<string, boolean>();
const ACCOUNT = "123456789012";

function fakeArn(type: string, name: string, inputs: Record<string, unknown>): string {
  switch (type) {
    case "aws:lambda/function:Function":
      return `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${String(inputs.name)}`;
    case "aws:cloudwatch/logGroup:LogGroup":
      return `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${String(inputs.name)}`;
    case "aws:secretsmanager/secret:Secret":
      return `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${String(inputs.namePrefix)}AbCdEf`;
    case "aws:iam/role:Role":
      return `arn:aws:iam::${ACCOUNT}:role/${name}-1a2b3c`;
    default:
      return `arn:aws:mock:us-east-1:${ACCOUNT}:${name}`;
  }
}

let outputs: { serviceToken: pulumi.Output<string>; apiKeySecretArn: pulumi.Output<string> };
let deployed: typeof import("../examples/cloudformation-lambda/serviceToken");

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs, protect: protectedByName.get(args.name) ?? false });
        const id = args.type === "aws:secretsmanager/secret:Secret" ? fakeArn(args.type, args.name, inputs) : `${args.name}-id`;
        return { id, state: { ...inputs, arn: fakeArn(args.type, args.name, inputs), name: inputs.name ?? `${args.name}-1a2b3c` } };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    "test",
    false,
  );
  // See what the engine would be told besides the inputs (the mocks API only passes inputs).
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: { getName(): string; getProtect(): boolean }, cb: unknown) => unknown;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    protectedByName.set(req.getName(), req.getProtect());
    return original(req, cb);
  };
  pulumi.runtime.setAllConfig({ [`${PROJECT}:sendgridApiKey`]: API_KEY }, [`${PROJECT}:sendgridApiKey`]);

  outputs = await import("../examples/cloudformation-lambda");
  deployed = await import("../examples/cloudformation-lambda/serviceToken");
  await new Promise<void>((resolve) => outputs.serviceToken.apply(() => resolve()));
  // Let every registration settle.
  await new Promise((resolve) => setTimeout(resolve, 200));
});

function one(type: string): Registered {
  const found = registered.filter((r) => r.type === type);
  expect(found).toHaveLength(1);
  return found[0] as Registered;
}

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

describe("examples/cloudformation-lambda (Pulumi mocks)", () => {
  test("declares exactly the handler's resources", () => {
    expect(
      registered
        .map((r) => r.type)
        .filter((t) => t !== "pulumi:pulumi:Stack")
        .sort(),
    ).toEqual([
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:lambda/function:Function",
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
      "aws:secretsmanager/secret:Secret",
      "aws:secretsmanager/secretVersion:SecretVersion",
    ]);
  });

  test("the function has a fixed name, nodejs22.x, index.handler, the bundle directory, and is protected", async () => {
    const fn = one("aws:lambda/function:Function");
    expect(fn.inputs).toMatchObject({
      name: "sendgrid-scheduled-batch",
      runtime: "nodejs22.x",
      handler: "index.handler",
      timeout: 120,
      loggingConfig: { logGroup: "/aws/lambda/sendgrid-scheduled-batch" },
    });
    expect(await (fn.inputs.code as { path: Promise<string> }).path).toMatch(/\/lambda\/dist$/);
    expect(fn.protect).toBe(true);
  });

  test("deploys the handler with the core's function settings (core/handlerFunction.ts), as lambda/template.yaml and the CDK constructs do", () => {
    const fn = one("aws:lambda/function:Function").inputs;
    const invoke = one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs;
    const logs = one("aws:cloudwatch/logGroup:LogGroup").inputs;
    const { serviceTimeoutSeconds: _set, ...functionSettings } = HANDLER_FUNCTION; // a property of each batch, not of the function
    expect({
      runtime: fn.runtime,
      architecture: (fn.architectures as string[]).join(),
      handler: fn.handler,
      memorySize: fn.memorySize,
      timeoutSeconds: fn.timeout,
      retryAttempts: invoke.maximumRetryAttempts,
      maxEventAgeSeconds: invoke.maximumEventAgeInSeconds,
      logRetentionDays: logs.retentionInDays,
      logFormat: (fn.loggingConfig as { logFormat?: unknown }).logFormat,
    }).toEqual(functionSettings);
  });

  test("exports the function ARN as serviceToken, and the secret's ARN", async () => {
    expect(await promiseOf(outputs.serviceToken)).toBe(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:sendgrid-scheduled-batch`);
    expect(await promiseOf(outputs.apiKeySecretArn)).toBe(`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:sendgrid-api-key-AbCdEf`);
  });

  test("async invocations are never retried (a timed-out Create must not run twice)", () => {
    expect(one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs).toMatchObject({
      functionName: "sendgrid-scheduled-batch",
      maximumRetryAttempts: 0,
      qualifier: "$LATEST",
    });
  });

  test("the log group is the function's own, with retention", () => {
    expect(one("aws:cloudwatch/logGroup:LogGroup").inputs).toEqual({ name: "/aws/lambda/sendgrid-scheduled-batch", retentionInDays: 30 });
  });

  test("the role trusts only Lambda, and its policy is least privilege: exact actions on exact resources", () => {
    expect(JSON.parse(String(one("aws:iam/role:Role").inputs.assumeRolePolicy))).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const policy = one("aws:iam/rolePolicy:RolePolicy");
    expect(JSON.parse(String(policy.inputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "OwnLogGroupOnly",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/sendgrid-scheduled-batch:log-stream:*`,
        },
        {
          Sid: HANDLER_STACK_READ.sid,
          Effect: "Allow",
          Action: HANDLER_STACK_READ.action,
          Resource: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:${HANDLER_STACK_READ.resource}`,
        },
        {
          Sid: "ReadTheApiKeySecret",
          Effect: "Allow",
          Action: "secretsmanager:GetSecretValue",
          Resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:sendgrid-api-key-AbCdEf`,
        },
      ],
    });
  });

  test("the API key reaches Secrets Manager as a Pulumi secret, and nowhere else", () => {
    // What the engine receives: the value wrapped in Pulumi's secret signature (encrypted in state).
    expect(one("aws:secretsmanager/secretVersion:SecretVersion").inputs.secretString).toEqual({
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value: API_KEY,
    });
    for (const r of registered.filter((x) => x.type !== "aws:secretsmanager/secretVersion:SecretVersion")) {
      expect(JSON.stringify(r.inputs)).not.toContain(API_KEY);
    }
  });

  test("deployServiceToken marks a plain key input as secret", async () => {
    const stack = deployed.deployServiceToken({
      functionName: "probe-fn",
      bundleDir: "/nonexistent",
      apiKey: "SG.plainInputForProbe.0123456789",
    });
    expect(await pulumi.isSecret(stack.secretVersion.secretString)).toBe(true);
  });
});
