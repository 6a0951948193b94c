"""The shared SDK scenario (test/support/sdkWire.ts) through the generated Python SDK under Pulumi's
mocks: prints, as JSON, what each RegisterResource request carries on the wire (the raw property
struct, with secrets still wrapped), for test/sdk-python.test.ts to compare."""

import json
import sys

import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

registrations = []


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return [f"{args.name}-id", dict(args.inputs)]

    def call(self, args):
        return {}


class RecordingMonitor(MockMonitor):
    """Records each request as sent, before the mocks API unwraps it."""

    def RegisterResource(self, request):
        if request.type != "pulumi:pulumi:Stack":
            registrations.append({
                "type": request.type,
                "name": request.name,
                "object": json_format.MessageToDict(request.object),
                "provider": request.provider,
                "version": request.version,
                "additionalSecretOutputs": list(request.additionalSecretOutputs),
            })
        return super().RegisterResource(request)


mocks = Mocks()
pulumi.runtime.set_mocks(mocks, project="sdk", stack="test", preview=False, monitor=RecordingMonitor(mocks))

import pulumi_sendgrid_batch as sendgrid_batch  # noqa: E402  (after set_mocks, as Pulumi's docs do)

scenario = json.loads(sys.argv[1])


@pulumi.runtime.test
def program():
    eu = sendgrid_batch.Provider(
        "eu",
        api_key=scenario["apiKey"],
        region=sendgrid_batch.Region.EU,
        on_behalf_of=scenario["onBehalfOf"],
        api_url=scenario["apiUrl"],
    )
    newsletter = sendgrid_batch.ScheduledBatch(
        "newsletter",
        status=sendgrid_batch.BatchStatus.PAUSED,
        send_at=scenario["sendAtSeconds"],
        batch_id=scenario["batchId"],
        opts=pulumi.ResourceOptions(provider=eu),
    )
    digest = sendgrid_batch.ScheduledBatch(
        "digest", status=sendgrid_batch.BatchStatus.CANCELLED, send_at=scenario["sendAtIso"]
    )
    return pulumi.Output.all(newsletter.batch_id, digest.status)


program()
print(json.dumps(registrations))
