// The handler of Custom::SendGridScheduledBatch in a CDK stack: the same bundle, runtime, timeout,
// permissions and retry setting as lambda/template.yaml. A plain function whose ARN is the
// ServiceToken, not the custom-resources Provider framework: this handler answers CloudFormation
// itself (the framework expects a handler that returns or throws and answers for it).

import { Duration, Stack, Token, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct, type IConstruct } from "constructs";
import type { SendGridApiKey } from "./apiKey";
import { HANDLER_STACK_READ } from "../core/handlerFunction";
import { HANDLER, bundleDirectory } from "./handler";

/**
 * What a ScheduledBatch needs of the function that serves it: the function's ARN and where that
 * function reads the SendGrid API key (each batch carries the pointer, and the function's role is
 * granted that key alone).
 */
export interface ISendGridBatchProvider extends IConstruct {
  /** The function's ARN: the ServiceToken of the batches. */
  readonly serviceToken: string;
  /** Where the function reads the SendGrid API key. */
  readonly apiKey: SendGridApiKey;
}

/** Properties of a SendGridBatchProvider. */
export interface SendGridBatchProviderProps {
  /** Where the function reads the SendGrid API key. */
  readonly apiKey: SendGridApiKey;
  /**
   * How long the function's log group keeps its logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The providers of each stack, by key pointer: one function per stack and key source. */
const PROVIDERS = new WeakMap<Stack, Map<string, SendGridBatchProvider>>();

/**
 * The function that serves every ScheduledBatch of a stack that reads its key from one place, with
 * its own role (its log group, that one key, nothing else), its own log group and async retries off.
 *
 * Its construct id is its identity: CloudFormation refuses to change a custom resource's
 * ServiceToken, so a provider that gets a new id (and with it a new function) cannot take over the
 * batches of the old one. Changing the key pointer keeps the function.
 */
export class SendGridBatchProvider extends Construct implements ISendGridBatchProvider {
  /**
   * A handler function deployed elsewhere (by lambda/template.yaml, or by another stack) by its ARN,
   * with the API key location it was deployed for: its batches are served by that function, and
   * this stack adds no function, role or log group.
   *
   * The ARN must be the unqualified function's (not a version or an alias): the async retry
   * setting that keeps a Create from minting a second batch is the unqualified function's.
   *
   * @param scope the construct the reference belongs to
   * @param id its construct id
   * @param serviceToken the function's ARN (lambda/template.yaml's output `ServiceToken`)
   * @param apiKey where that function reads the SendGrid API key (the one its role is granted)
   */
  static fromServiceToken(scope: Construct, id: string, serviceToken: string, apiKey: SendGridApiKey): ISendGridBatchProvider {
    return new ImportedProvider(scope, id, serviceToken, apiKey);
  }

  /** The function's ARN: the ServiceToken of the stack's batches. */
  readonly serviceToken: string;
  /** Where the function reads the SendGrid API key. */
  readonly apiKey: SendGridApiKey;
  /** The handler function (the bundle lambda/template.yaml deploys). */
  readonly function: lambda.Function;
  /** The function's role: its own log streams and the API key, nothing else. */
  readonly role: iam.Role;
  /** The function's log group, with a retention. */
  readonly logGroup: logs.LogGroup;
  /** Async retries off (a retried Create would mint a second batch); batches depend on it, so it is still off while their Delete runs. */
  readonly invokeConfig: lambda.EventInvokeConfig;

  /**
   * @param scope the stack, or a construct in it
   * @param id the construct id, the provider's identity: keep it (see above)
   * @param props where the function reads the API key, and its log retention
   */
  constructor(scope: Construct, id: string, props: SendGridBatchProviderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const providers = PROVIDERS.get(stack) ?? new Map<string, SendGridBatchProvider>();
    PROVIDERS.set(stack, providers);
    const other = providers.get(props.apiKey.value);
    if (other) {
      const message = `${other.node.path} already serves this API key in stack ${stack.node.path}; pass that provider to every ScheduledBatch (one function per stack and key source)`;
      this.node.addValidation({ validate: () => [message] });
    } else {
      providers.set(props.apiKey.value, this);
    }
    this.apiKey = props.apiKey;

    // Its own group with a retention, so Lambda never makes an unmanaged one that keeps logs
    // forever, and the role can be scoped to this group alone (no logs:CreateLogGroup).
    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention ?? HANDLER.logRetentionDays });

    const logStreams = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${this.logGroup.logGroupName}:log-stream:*`;
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description:
        "Custom::SendGridScheduledBatch handler: its own log group, the SendGrid API key and its stacks' resource lists, nothing else",
      // Inline, as in lambda/template.yaml: the statements live and die with the role, which the
      // function references, so they outlast every batch's Delete. No managed policy
      // (AWSLambdaBasicExecutionRole would grant every log group).
      inlinePolicies: { "sendgrid-scheduled-batch": new iam.PolicyDocument({ statements: statements(stack, props.apiKey, logStreams) }) },
    });
    // The wildcard is the log stream's name, which Lambda makes up per container; the group is this one.
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${findingName(stack.resolve(logStreams))}]`,
      reason:
        "Log streams are named by Lambda per execution environment, so they cannot be listed; the grant is CreateLogStream and PutLogEvents in the function's own log group only.",
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${findingName(stack.resolve(stackResourcesArn(stack)))}]`,
      reason:
        "Before adopting a BatchId the handler lists the resources of the stack that sent the event, to refuse a batch another resource of that stack holds, and before a Delete cancels, to keep a batch another resource of it now holds; which stacks use the function is not known when it is deployed, so the grant is ListStackResources (read-only, that one action) on the stacks of its own account and Region.",
    });

    this.function = new lambda.Function(this, "Function", {
      description: "Custom::SendGridScheduledBatch handler (create = new batch, update = pause/resume, delete = cancel)",
      code: lambda.Code.fromAsset(bundleDirectory(), { exclude: ["*", "!index.js"] }),
      handler: HANDLER.handler,
      runtime: HANDLER_RUNTIME,
      architecture: HANDLER.architecture === "arm64" ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      memorySize: HANDLER.memorySize,
      timeout: Duration.seconds(HANDLER.timeoutSeconds),
      // The role by its ARN, immutable: exactly the statements above, nothing the function construct
      // might add, and no DependsOn beside the GetAtt that already orders the two (cfn-lint W3005).
      role: iam.Role.fromRoleArn(this, "FunctionRole", this.role.roleArn, { mutable: false }),
      logGroup: this.logGroup,
      loggingFormat: HANDLER.logFormat === "Text" ? lambda.LoggingFormat.TEXT : lambda.LoggingFormat.JSON,
    });
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "nodejs22.x, as lambda/template.yaml: the bundle is built for node22 and Node.js 22 is supported until 2027-04-30; the handler is async-only, so it also runs on nodejs24.x once both move.",
    });

    this.invokeConfig = new lambda.EventInvokeConfig(this, "InvokeConfig", {
      function: this.function,
      retryAttempts: HANDLER.retryAttempts,
      maxEventAge: Duration.seconds(HANDLER.maxEventAgeSeconds),
    });
    this.serviceToken = this.function.functionArn;
  }
}

/** The CDK's runtime of the name the handler's settings give (core/handlerFunction.ts). */
const HANDLER_RUNTIME = ((): lambda.Runtime => {
  const runtime = lambda.Runtime.ALL.find((r) => r.name === HANDLER.runtime);
  if (runtime === undefined) throw new Error(`aws-cdk-lib has no Lambda runtime ${HANDLER.runtime}`);
  return runtime;
})();

/** The role's statements: lambda/template.yaml's, for this key source. */
function statements(stack: Stack, apiKey: SendGridApiKey, logStreams: string): iam.PolicyStatement[] {
  const out = [
    new iam.PolicyStatement({ sid: "OwnLogGroupOnly", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [logStreams] }),
    new iam.PolicyStatement({ sid: HANDLER_STACK_READ.sid, actions: [HANDLER_STACK_READ.action], resources: [stackResourcesArn(stack)] }),
  ];
  if (apiKey.isSecret) {
    out.push(
      new iam.PolicyStatement({ sid: "ReadTheApiKeySecret", actions: ["secretsmanager:GetSecretValue"], resources: [apiKey.value] }),
    );
  } else {
    out.push(
      new iam.PolicyStatement({
        sid: "ReadTheApiKeyParameter",
        actions: ["ssm:GetParameter"],
        resources: [parameterArn(stack, apiKey.value)],
      }),
    );
  }
  if (apiKey.kmsKeyArn !== undefined) {
    out.push(
      new iam.PolicyStatement({
        sid: "DecryptTheApiKey",
        actions: ["kms:Decrypt"],
        resources: [apiKey.kmsKeyArn],
        conditions: {
          // Only the service that holds this key may use the KMS key for the role.
          StringEquals: { "kms:ViaService": `${apiKey.isSecret ? "secretsmanager" : "ssm"}.${stack.region}.amazonaws.com` },
        },
      }),
    );
  }
  return out;
}

/** The stacks whose resources the handler may list (core/handlerFunction.ts HANDLER_STACK_READ): those of its account and Region. */
function stackResourcesArn(stack: Stack): string {
  return `arn:${stack.partition}:cloudformation:${stack.region}:${stack.account}:${HANDLER_STACK_READ.resource}`;
}

/** The ARN the role must grant for a parameter the handler reads by this name (or ARN). */
function parameterArn(stack: Stack, name: string): string {
  if (!Token.isUnresolved(name) && name.startsWith("arn:")) return name;
  const slash = Token.isUnresolved(name) || name.startsWith("/") ? "" : "/";
  return `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter${slash}${name}`;
}

/** A resolved ARN as cdk-nag names it in a finding: joins flattened, a Ref as <LogicalId>. */
function findingName(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (join) return join[1].map(findingName).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref !== undefined) return `<${ref}>`;
  return JSON.stringify(value);
}

// A Lambda function's unqualified ARN (no version or alias after the name).
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/;

/** SendGridBatchProvider.fromServiceToken's reference: a construct with no resources. */
class ImportedProvider extends Construct implements ISendGridBatchProvider {
  readonly serviceToken: string;
  readonly apiKey: SendGridApiKey;

  constructor(scope: Construct, id: string, serviceToken: string, apiKey: SendGridApiKey) {
    super(scope, id);
    this.serviceToken = serviceToken;
    this.apiKey = apiKey;
    if (!Token.isUnresolved(serviceToken) && !FUNCTION_ARN.test(serviceToken)) {
      const problem = /^arn:aws[a-z-]*:lambda:.*:function:[^:]+:[^:]+$/.test(serviceToken)
        ? "names a version or an alias; give the unqualified function ARN (the function's async retry setting, which keeps a Create from minting a second batch, is the unqualified function's)"
        : 'is not a Lambda function ARN ("arn:aws:lambda:<region>:<account>:function:<name>", lambda/template.yaml\'s ServiceToken output)';
      this.node.addValidation({ validate: () => [`serviceToken ${JSON.stringify(serviceToken)} ${problem}`] });
    }
  }
}
