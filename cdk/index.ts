// AWS CDK constructs for Custom::SendGridScheduledBatch (the `./cdk` entry point). Needs the
// optional peer dependencies aws-cdk-lib and constructs; the package's other entry points never load them.
export { SendGridApiKey, type ApiKeyOptions, type ApiKeyProperty } from "./apiKey";
export { SendGridBatchProvider, type SendGridBatchProviderProps } from "./provider";
export { ScheduledBatch, type ScheduledBatchProps } from "./scheduledBatch";
export type { BatchStatus, Region } from "../core/types";
