// The Custom::SendGridScheduledBatch handler as AWS resources, with @pulumi/aws.
//
// The function's ARN is the ServiceToken every CloudFormation stack writes into its custom
// resources, and CloudFormation refuses to change a custom resource's ServiceToken ("Modifying
// service token is not allowed", cloudformation-coverage-roadmap#802). So the ARN must live as
// long as any stack uses it:
//   - the function has a fixed `name` (an auto-name would change on replacement);
//   - it is `protect`ed: `pulumi destroy` or an accidental replacement stops with an error;
//   - nothing here may force a replacement: changing `name` does, so never change functionName on
//     a deployed stack. Code, timeout, memory, role and environment update in place (same ARN).
// One such stack per AWS Region (a ServiceToken must be in the stack's Region).

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
// The handler's settings, the ones lambda/template.yaml and the CDK constructs deploy.
import { HANDLER_FUNCTION as HANDLER, HANDLER_STACK_READ } from "../../core/handlerFunction";

export interface ServiceTokenArgs {
  /** Fixed Lambda function name (its ARN is the ServiceToken). */
  functionName: string;
  /** Directory holding the bundle's index.js (`npm run build:lambda` → lambda/dist). */
  bundleDir: string;
  /** The SendGrid API key; stored in Secrets Manager, kept secret in Pulumi state. */
  apiKey: pulumi.Input<string>;
  logRetentionDays?: number;
  /** Function timeout in seconds (default the handler's); keep it below the ServiceTimeout (300 in the examples). */
  timeoutSeconds?: number;
}

export interface ServiceTokenStack {
  serviceToken: pulumi.Output<string>;
  secretArn: pulumi.Output<string>;
  fn: aws.lambda.Function;
  role: aws.iam.Role;
  policy: aws.iam.RolePolicy;
  logGroup: aws.cloudwatch.LogGroup;
  secret: aws.secretsmanager.Secret;
  secretVersion: aws.secretsmanager.SecretVersion;
  invokeConfig: aws.lambda.FunctionEventInvokeConfig;
}

export function deployServiceToken(args: ServiceTokenArgs): ServiceTokenStack {
  const name = args.functionName;

  // Created before the function, so Lambda never makes an unmanaged group with infinite retention,
  // and the role can be scoped to this group alone.
  const logGroup = new aws.cloudwatch.LogGroup("handler-logs", {
    name: `/aws/lambda/${name}`,
    retentionInDays: args.logRetentionDays ?? HANDLER.logRetentionDays,
  });

  const secret = new aws.secretsmanager.Secret("sendgrid-api-key", {
    namePrefix: "sendgrid-api-key-",
    description: "SendGrid API key read by the Custom::SendGridScheduledBatch handler",
  });
  const secretVersion = new aws.secretsmanager.SecretVersion("sendgrid-api-key", {
    secretId: secret.id,
    // A Pulumi secret: encrypted in state, masked in previews.
    secretString: pulumi.secret(args.apiKey),
  });

  const role = new aws.iam.Role("handler-role", {
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
  });

  // Least privilege: write to its own log group, read that one secret, list the resources of its
  // account's stacks in this Region (to refuse adopting a batch another resource of the event's
  // stack holds, and to keep rather than cancel on Delete a batch another resource of it now holds;
  // which stacks will use the function is not known here). No CreateLogGroup, no
  // wildcards on services, no VPC permissions (the function must not live in a VPC).
  const stacks = logGroup.arn.apply((arn) => {
    const [, partition, , region, account] = arn.split(":");
    return `arn:${partition}:cloudformation:${region}:${account}:${HANDLER_STACK_READ.resource}`;
  });
  const policy = new aws.iam.RolePolicy("handler-policy", {
    role: role.id,
    policy: pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "OwnLogGroupOnly",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: pulumi.interpolate`${logGroup.arn}:log-stream:*`,
        },
        { Sid: HANDLER_STACK_READ.sid, Effect: "Allow", Action: HANDLER_STACK_READ.action, Resource: stacks },
        { Sid: "ReadTheApiKeySecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secret.arn },
      ],
    }),
  });

  const fn = new aws.lambda.Function(
    "handler",
    {
      name,
      description: "Custom::SendGridScheduledBatch handler (create = new batch, update = pause/resume, delete = cancel)",
      runtime: HANDLER.runtime,
      handler: HANDLER.handler,
      code: new pulumi.asset.FileArchive(args.bundleDir),
      role: role.arn,
      architectures: [HANDLER.architecture],
      memorySize: HANDLER.memorySize,
      timeout: args.timeoutSeconds ?? HANDLER.timeoutSeconds,
      loggingConfig: { logFormat: HANDLER.logFormat, logGroup: logGroup.name },
    },
    // The policy must exist before the first invocation; protect keeps the ServiceToken alive.
    { dependsOn: [policy, logGroup], protect: true },
  );

  // CloudFormation invokes asynchronously; Lambda's default two retries would replay a Create
  // that timed out (a second batch). The handler answers every event itself.
  const invokeConfig = new aws.lambda.FunctionEventInvokeConfig("handler-invoke-config", {
    functionName: fn.name,
    qualifier: "$LATEST",
    maximumRetryAttempts: HANDLER.retryAttempts,
    maximumEventAgeInSeconds: HANDLER.maxEventAgeSeconds,
  });

  return { serviceToken: fn.arn, secretArn: secret.arn, fn, role, policy, logGroup, secret, secretVersion, invokeConfig };
}
