// AWS CDK constructs for Custom::SendGridScheduledBatch (the `./cdk` entry point, and the entry point
// of the jsii construct library cdk-constructs/ builds from these same files for Python, Java, .NET
// and Go). Needs the optional peer dependencies aws-cdk-lib and constructs; the package's other
// entry points never load them. Everything exported here is jsii-compatible: classes, enums and
// interfaces only.
export { SendGridApiKey, type ApiKeyOptions } from "./apiKey";
export { type ISendGridBatchProvider, SendGridBatchProvider, type SendGridBatchProviderProps } from "./provider";
export { ScheduledBatch, type ScheduledBatchProps } from "./scheduledBatch";
export { BatchStatus, Region, type ScheduledBatchProperties } from "./properties.generated";
