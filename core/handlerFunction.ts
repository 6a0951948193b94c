// The Custom::SendGridScheduledBatch handler function's settings, stated once: the CDK constructs
// (cdk/provider.ts) and the Pulumi example (examples/cloudformation-lambda/serviceToken.ts) read
// them, and lambda/template.yaml is held to them by test/cfn-template.test.ts. Plain data: the core
// deploys nothing and imports no AWS library.

export const HANDLER_FUNCTION = {
  /** The bundle targets node22 (scripts/build-lambda.js); Node.js 20 is blocked for new functions. */
  runtime: "nodejs22.x",
  architecture: "arm64",
  handler: "index.handler",
  memorySize: 256,
  /** Below the custom resource's ServiceTimeout: the handler answers FAILED before this. */
  timeoutSeconds: 120,
  /** Above the function's timeout: if everything else fails, CloudFormation waits 5 minutes, not an hour. */
  serviceTimeoutSeconds: 300,
  /** CloudFormation invokes asynchronously; a retried Create would mint a second batch. */
  retryAttempts: 0,
  maxEventAgeSeconds: 900,
  logRetentionDays: 30,
  logFormat: "Text",
} as const;

/**
 * The one CloudFormation read the handler makes: before adopting a `BatchId`, it lists the
 * resources of the stack that sent the event (lambda/stackRecord.ts), so a batch another resource
 * of that stack holds is refused (BATCH_HELD); before a Delete cancels, so a batch another resource
 * of that stack now holds (moved there in the same update) is kept, not cancelled.
 * ListStackResources takes a stack ARN; the function cannot know which stacks will use it, so the
 * grant is every stack of its own account and Region (`stack/<name>/<id>`), read-only, and this one
 * action.
 */
export const HANDLER_STACK_READ = {
  sid: "ReadTheStacksResources",
  action: "cloudformation:ListStackResources",
  /** The ARN's resource part, after `arn:<partition>:cloudformation:<region>:<account>:`. */
  resource: "stack/*/*",
} as const;
