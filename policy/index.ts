// The policy pack: SendGrid's account-wide rules for ScheduledBatch, checked at preview by the
// engine (`pulumi preview --policy-pack <this directory>`), across every batch of the stack.
// Mandatory: at most 10 paused or cancelled batches per account. Advisory: a paused or cancelled
// batch without sendAt, a batch that is not protected.

import { PolicyPack, type PolicyResource, type ResourceValidationArgs } from "@pulumi/policy";
import { ACCOUNT_PROPERTIES } from "../core/properties";
import {
  type BatchView,
  MISSING_SEND_AT_MESSAGE,
  UNPROTECTED_MESSAGE,
  holdsStatus,
  isScheduledBatch,
  quotaMessage,
  quotaViolations,
} from "./rules";

function view(r: PolicyResource | ResourceValidationArgs): BatchView {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: r.props,
    protect: r.opts.protect,
    providerUrn: r.provider?.urn,
    providerConfig: r.provider ? accountConfig(r.provider.props) : undefined,
  };
}

/**
 * The provider's account config. @pulumi/policy's props throw on reading a value the engine does not
 * know yet (preview); such a provider is reported as having no known config, and counts on its own.
 */
function accountConfig(props: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    const out: Record<string, unknown> = {};
    for (const k of ["apiKey", ...ACCOUNT_PROPERTIES]) if (props[k] !== undefined && props[k] !== null) out[k] = props[k];
    return out;
  } catch {
    return undefined;
  }
}

export const sendgridBatchPolicies = new PolicyPack("sendgrid-scheduled-batch", {
  policies: [
    {
      name: "sendgrid-paused-cancelled-limit",
      description: "At most 10 ScheduledBatch resources paused or cancelled at once per SendGrid account (region + subuser + API URL).",
      enforcementLevel: "mandatory",
      validateStack: (args, reportViolation) => {
        for (const v of quotaViolations(args.resources.filter((r) => isScheduledBatch(r.type)).map(view))) {
          reportViolation(quotaMessage(v));
        }
      },
    },
    {
      name: "sendgrid-held-batch-send-at",
      description: "A paused or cancelled ScheduledBatch should set sendAt, so preview can check SendGrid's timing rules.",
      enforcementLevel: "advisory",
      validateResource: (args, reportViolation) => {
        if (!isScheduledBatch(args.type) || !holdsStatus(args.props)) return;
        if (args.props.sendAt === undefined || args.props.sendAt === null) reportViolation(MISSING_SEND_AT_MESSAGE);
      },
    },
    {
      name: "sendgrid-batch-protected",
      description: "A ScheduledBatch should be protected: destroying it cancels its batch and SendGrid discards the mail.",
      enforcementLevel: "advisory",
      validateResource: (args, reportViolation) => {
        if (isScheduledBatch(args.type) && !args.opts.protect) reportViolation(UNPROTECTED_MESSAGE);
      },
    },
  ],
});
