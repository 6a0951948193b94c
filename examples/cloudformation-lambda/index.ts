// `pulumi up` here deploys the CloudFormation custom resource handler and exports its ARN:
//   npm run build:lambda                                  # from the repository root
//   pulumi config set --secret sendgridApiKey SG.xxxx
//   pulumi up
//   pulumi stack output serviceToken                      # → ServiceToken in your templates
// See serviceToken.ts for why the function name is fixed and the function protected.

import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { deployServiceToken } from "./serviceToken";

const config = new pulumi.Config();

const deployed = deployServiceToken({
  functionName: config.get("functionName") ?? "sendgrid-scheduled-batch",
  bundleDir: path.resolve(__dirname, "..", "..", "lambda", "dist"),
  apiKey: config.requireSecret("sendgridApiKey"),
  logRetentionDays: config.getNumber("logRetentionDays"),
});

/** The ServiceToken for Custom::SendGridScheduledBatch resources in this Region. */
export const serviceToken = deployed.serviceToken;
/** ARN of the secret; rotate the key by updating this secret (the handler re-reads it within 5 minutes). */
export const apiKeySecretArn = deployed.secretArn;
