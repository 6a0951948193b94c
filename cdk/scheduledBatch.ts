// One SendGrid scheduled-send batch as a Custom::SendGridScheduledBatch resource, its properties
// checked at synth by the core's own rules (core/validate.ts), the ones the handler applies again
// at deploy: a property no deploy could accept is a CDK validation error (the synth fails, listing
// every construct's problems), SendGrid's clock rules are warnings unless `strict`.

import { Annotations, CustomResource, Duration, Token } from "aws-cdk-lib";
import { Construct } from "constructs";
import { nowSeconds } from "../core/clock";
import { CFN_ATTRIBUTES, CFN_NAME, DEFAULT_STATUS, INPUT_PROPERTIES } from "../core/properties";
import { type Failure, describeFailure, validateInputs } from "../core/validate";
import { HANDLER, RESOURCE_TYPE } from "./handler";
import { type ISendGridBatchProvider, SendGridBatchProvider } from "./provider";
import type { ScheduledBatchProperties } from "./properties.generated";

/** Properties of a ScheduledBatch: its function, the batch's own properties, and how strictly synth checks them. */
export interface ScheduledBatchProps extends ScheduledBatchProperties {
  /**
   * The function that serves the batch: a SendGridBatchProvider (one per stack and key source), or
   * SendGridBatchProvider.fromServiceToken for a function deployed elsewhere.
   */
  readonly provider: ISendGridBatchProvider;
  /**
   * Make SendGrid's clock rules (no pause or cancel later than 10 minutes before `sendAt`, `sendAt`
   * at most 72 hours ahead) validation errors at synth instead of warnings. They are checked against
   * the synth's clock and without the stack's previous properties, so a deploy may still decide
   * otherwise; the handler applies them again at deploy either way.
   * @default false
   */
  readonly strict?: boolean;
}

/** One SendGrid scheduled-send batch (Custom::SendGridScheduledBatch), served by a SendGridBatchProvider. */
export class ScheduledBatch extends Construct {
  /** The batch id (also the resource's physical id): use it as batch_id, with a send_at, in Mail Send. */
  readonly batchId: string;
  /** The status SendGrid holds for the batch after the last deploy. */
  readonly status: string;
  /** The Custom::SendGridScheduledBatch resource. */
  readonly resource: CustomResource;

  /**
   * @param scope the stack, or a construct in it
   * @param id the construct id
   * @param props the batch's function and properties
   */
  constructor(scope: Construct, id: string, props: ScheduledBatchProps) {
    super(scope, id);
    const { provider, strict, ...inputs } = props;
    const { errors, timing } = check(inputs);
    // SendGrid's clock rules depend on when the deploy runs and on what the stack already holds
    // (a batch paused long ago may keep a send time that has passed): the handler decides them at
    // deploy with the previous properties. Here they only warn, unless strict.
    const refused = strict === true ? [...errors, ...timing] : errors;
    if (refused.length > 0) this.node.addValidation({ validate: () => refused.map(describeFailure) });
    if (strict !== true) {
      for (const f of timing) {
        Annotations.of(this).addWarningV2(`sendgrid-scheduled-batch:${f.property}`, `${describeFailure(f)} (checked again at deploy)`);
      }
    }

    const properties: Record<string, unknown> = { [provider.apiKey.property]: provider.apiKey.value };
    for (const name of INPUT_PROPERTIES) if (inputs[name] !== undefined) properties[CFN_NAME[name]] = inputs[name];

    this.resource = new CustomResource(this, "Resource", {
      serviceToken: provider.serviceToken,
      resourceType: RESOURCE_TYPE,
      serviceTimeout: Duration.seconds(HANDLER.serviceTimeoutSeconds),
      properties,
    });
    // The ServiceToken already orders the batch after the function, its role and its log group; the
    // retry setting is only ordered by this, so it is still off while the batch's Delete runs.
    // A function deployed elsewhere orders itself (its stack exists before this one).
    if (provider instanceof SendGridBatchProvider) this.resource.node.addDependency(provider.invokeConfig);
    this.batchId = this.resource.getAttString(CFN_ATTRIBUTES.batchId);
    this.status = this.resource.getAttString(CFN_ATTRIBUTES.status);
  }
}

/**
 * The core's failures for these inputs: `errors` hold whatever the time of the deploy cannot change,
 * `timing` the 10-minute and 72-hour rules. A value that is a token is unknown until deploy and skipped.
 */
function check(inputs: Record<string, unknown>): { errors: Failure[]; timing: Failure[] } {
  const now = nowSeconds();
  const isUnknown = (value: unknown) => Token.isUnresolved(value);
  // "Nothing changes" leaves the timing rules out (as the handler's Delete does).
  const unchanged = { status: inputs.status ?? DEFAULT_STATUS, sendAt: inputs.sendAt };
  const errors = validateInputs(inputs, { now, isUnknown, previous: unchanged }).failures;
  const seen = new Set(errors.map((f) => JSON.stringify(f)));
  const timing = validateInputs(inputs, { now, isUnknown }).failures.filter((f) => !seen.has(JSON.stringify(f)));
  return { errors, timing };
}
