#!/usr/bin/env node
// The CDK app (cdk.json runs its build: `npm run build` at the repository root first).
import { App } from "aws-cdk-lib";
import { BatchesStack } from "../lib/batches-stack";

const app = new App();
new BatchesStack(app, "SendGridBatches", {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
