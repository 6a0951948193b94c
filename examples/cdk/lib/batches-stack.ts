// Two SendGrid batches served by one handler function. Settings come from CDK context
// (`cdk synth -c sendgrid:newsletterStatus=cancelled`, or the "context" block of cdk.json):
//   sendgrid:apiKeySecretArn   full ARN of the Secrets Manager secret holding the API key
//   sendgrid:newsletterStatus  active | paused (default) | cancelled
//   sendgrid:apiUrl            optional API origin (a local emulator)
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { BatchStatus, ScheduledBatch, SendGridApiKey, SendGridBatchProvider } from "pulumi-sendgrid-scheduled-batch/cdk";

export class BatchesStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const context = (key: string): string | undefined => this.node.tryGetContext(`sendgrid:${key}`);

    const sendgrid = new SendGridBatchProvider(this, "SendGrid", {
      apiKey: SendGridApiKey.fromSecretArn(
        context("apiKeySecretArn") ?? "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf",
      ),
    });
    const apiUrl = context("apiUrl");

    // Mail sent with this batch id is held until the status goes back to active.
    const newsletter = new ScheduledBatch(this, "Newsletter", {
      provider: sendgrid,
      // A context value is a plain string: the construct checks it against BatchStatus's values at synth.
      status: (context("newsletterStatus") ?? BatchStatus.PAUSED) as BatchStatus,
      apiUrl,
    });
    const digest = new ScheduledBatch(this, "Digest", { provider: sendgrid, status: BatchStatus.ACTIVE, apiUrl });

    // Use these as batch_id (with a send_at) in Mail Send.
    new CfnOutput(this, "NewsletterBatchId", { value: newsletter.batchId });
    new CfnOutput(this, "DigestBatchId", { value: digest.batchId });
  }
}
