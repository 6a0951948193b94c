// pulumi-sendgrid-scheduled-batch: Twilio SendGrid scheduled-send batches as Pulumi resources.
export { ScheduledBatch, type ScheduledBatchArgs } from "./scheduledBatch";
export type { ScheduledBatchInputs, ScheduledBatchOutputs } from "./runtime";
export type { BatchStatus, Region } from "../core/types";
export { SendGridError, type ErrorCode } from "../core/errors";
