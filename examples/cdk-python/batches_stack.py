"""Two SendGrid batches served by one handler function. Settings come from CDK context
(`cdk synth -c sendgrid:newsletterStatus=cancelled`, or the "context" block of cdk.json):
  sendgrid:apiKeySecretArn   full ARN of the Secrets Manager secret holding the API key
  sendgrid:newsletterStatus  active | paused (default) | cancelled
  sendgrid:apiUrl            optional API origin (a local emulator)
  sendgrid:serviceToken      optional ARN of a handler already deployed (lambda/template.yaml's
                             ServiceToken output, for that same secret): the stack then adds no function
"""

from typing import Any, Optional

from aws_cdk import CfnOutput, Stack
from constructs import Construct
from sendgrid_scheduled_batch_cdk import (
    BatchStatus,
    ISendGridBatchProvider,
    ScheduledBatch,
    SendGridApiKey,
    SendGridBatchProvider,
)

DEFAULT_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf"


class BatchesStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)

        def context(key: str) -> Optional[str]:
            return self.node.try_get_context(f"sendgrid:{key}")

        api_key = SendGridApiKey.from_secret_arn(context("apiKeySecretArn") or DEFAULT_SECRET_ARN)
        service_token = context("serviceToken")
        sendgrid: ISendGridBatchProvider = (
            SendGridBatchProvider.from_service_token(self, "SendGrid", service_token, api_key)
            if service_token
            else SendGridBatchProvider(self, "SendGrid", api_key=api_key)
        )
        api_url = context("apiUrl")

        # Mail sent with this batch id is held until the status goes back to active.
        newsletter = ScheduledBatch(
            self,
            "Newsletter",
            provider=sendgrid,
            status=batch_status(context("newsletterStatus") or "paused"),
            api_url=api_url,
        )
        digest = ScheduledBatch(self, "Digest", provider=sendgrid, status=BatchStatus.ACTIVE, api_url=api_url)

        # Use these as batch_id (with a send_at) in Mail Send.
        CfnOutput(self, "NewsletterBatchId", value=newsletter.batch_id)
        CfnOutput(self, "DigestBatchId", value=digest.batch_id)


def batch_status(value: str) -> BatchStatus:
    """A context value ("paused") as the enum member (BatchStatus.PAUSED)."""
    try:
        return BatchStatus[value.upper()]
    except KeyError:
        names = ", ".join(s.name.lower() for s in BatchStatus)
        raise ValueError(f"sendgrid:newsletterStatus must be one of {names} (got {value!r})") from None
