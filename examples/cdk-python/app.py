#!/usr/bin/env python3
"""The CDK app (cdk.json runs it): the Python twin of examples/cdk, built on the
sendgrid-scheduled-batch-cdk wheel (see requirements.txt)."""

import os

import aws_cdk as cdk

from batches_stack import BatchesStack

app = cdk.App()
BatchesStack(
    app,
    "SendGridBatches",
    env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
)
app.synth()
