// The SendGrid core: a typed client, the batch state machine and input validation.
// It imports neither @pulumi/* nor aws-lambda; the adapters depend on it, never the reverse.
export * from "./types";
export * from "./errors";
export * from "./wire";
export * from "./plan";
export * from "./validate";
export * from "./model";
export * from "./retry";
export { SendGridBatchClient, clientFor, toSendGridError, type ClientOptions, type AttemptInfo } from "./client";
export * from "./batches";
