// A Pulumi program that declares one SendGrid scheduled-send batch whose status comes from config.
//   pulumi config set status paused          # active | paused | cancelled
//   pulumi config set sendAt 2026-12-01T09:00:00Z   (optional: enables SendGrid's timing checks)
//   pulumi config set apiUrl http://127.0.0.1:3030  (optional: the local emulator)
//   pulumi config set --secret sendgrid:apiKey SG....
import * as pulumi from "@pulumi/pulumi";
import { ScheduledBatch, type BatchStatus, type Region } from "pulumi-sendgrid-scheduled-batch";

export function basicProgram(): { batchId: pulumi.Output<string>; status: pulumi.Output<BatchStatus> } {
  const config = new pulumi.Config();
  const batch = new ScheduledBatch("newsletter", {
    status: (config.get("status") as BatchStatus | undefined) ?? "active",
    sendAt: config.get("sendAt"),
    onBehalfOf: config.get("onBehalfOf"),
    region: config.get("region") as Region | undefined,
    apiUrl: config.get("apiUrl"),
  });
  return { batchId: batch.batchId, status: batch.status };
}
