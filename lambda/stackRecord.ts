// Which resource of the stack holds a batch, from CloudFormation's own record. The handler keeps no
// journal (core/journal.ts) of the ids it hands out; CloudFormation keeps one for it: each custom
// resource's physical id is its batch id. Before a `BatchId` is adopted, the resources of the stack
// that sent the event are listed (ListStackResources, every page), and a batch another logical
// resource of that stack holds is refused: two resources would write one batch's status, and the
// first one's held mail would go out (the plugin refuses the same case from its journal: BATCH_HELD).

import { SendGridError } from "../core";
import { sdkClient } from "./awsClients";

/** A read of the stack's resources that failed: the adoption is refused rather than made blind. */
export class StackRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackRecordError";
  }
}

/** One row of ListStackResources, as far as the check reads it. */
export interface StackResource {
  logicalResourceId: string;
  physicalResourceId?: string;
  resourceType: string;
  resourceStatus: string;
}

/**
 * Whether `type` is a custom resource, whatever its name: the ServiceToken, not the type's name,
 * decides which function serves it (a template may call this handler's resources Custom::Anything),
 * and a physical id equal to a SendGrid batch id is specific enough on its own.
 */
function isCustomResource(type: string): boolean {
  return type.startsWith("Custom::") || type === "AWS::CloudFormation::CustomResource";
}

/** A resource whose Delete completed or was skipped (retained) no longer holds its batch. */
const LET_GO = new Set(["DELETE_COMPLETE", "DELETE_SKIPPED"]);

/** The other logical resource of `resources` that holds `batchId`, if any. */
export function holderOf(resources: StackResource[], batchId: string, logicalResourceId: string): StackResource | undefined {
  return resources.find(
    (r) =>
      r.physicalResourceId === batchId &&
      r.logicalResourceId !== logicalResourceId &&
      isCustomResource(r.resourceType) &&
      !LET_GO.has(r.resourceStatus),
  );
}

/**
 * Another logical resource of the event's type whose Create or Update is running: CloudFormation
 * records a custom resource's physical id only once its answer arrives, so until then the record
 * cannot say which batch it takes (it may be adopting the same BatchId in parallel). A resource's
 * row is in progress before its event is sent, so of two adoptions running at once the one that
 * lists second sees the other: refusing then leaves at most one of them adopting. Only rows of the
 * event's own type count (a template names this handler's resources with one type), so an unrelated
 * custom resource created alongside does not block an adoption.
 */
export function runningBeside(resources: StackResource[], logicalResourceId: string, resourceType: string): StackResource | undefined {
  return resources.find(
    (r) =>
      r.logicalResourceId !== logicalResourceId &&
      (resourceType === "" ? isCustomResource(r.resourceType) : r.resourceType === resourceType) &&
      r.resourceStatus.endsWith("_IN_PROGRESS") &&
      !r.resourceStatus.startsWith("DELETE_"),
  );
}

/**
 * Refuse (BATCH_HELD) to adopt `batchId` for the event's logical resource when another logical
 * resource of its stack holds it, or when another resource of its type is being created or updated
 * meanwhile (runningBeside: the record cannot yet say which batch that one takes). The same logical
 * id may (a replacement keeps its own batch). A read that fails throws StackRecordError: nothing is
 * adopted blind.
 */
export async function refuseHeldBatch(
  resource: { stackId: string; logicalResourceId: string; resourceType: string },
  batchId: string,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  const resources = await listStackResources(resource.stackId, opts.signal, ADOPT_READ);
  const holder = holderOf(resources, batchId, resource.logicalResourceId);
  if (holder === undefined) {
    const running = runningBeside(resources, resource.logicalResourceId, resource.resourceType);
    if (running === undefined) return;
    throw new SendGridError({
      code: "BATCH_HELD",
      message: `Cannot tell whether ${running.logicalResourceId} (${running.resourceType}, ${running.resourceStatus}) of this stack is taking BatchId ${batchId}: it is being created or updated at the same time, and CloudFormation records its batch only when it finishes; not adopted, nothing was changed`,
      hint:
        `If ${running.logicalResourceId} names the same BatchId, give one of them its own batch (leave BatchId out). ` +
        `Otherwise make this resource DependsOn ${running.logicalResourceId} (or the reverse), so CloudFormation runs them one after the other and its record shows which batch each holds`,
    });
  }
  throw new SendGridError({
    code: "BATCH_HELD",
    message: `BatchId ${batchId} is held by ${holder.logicalResourceId} (${holder.resourceType}, ${holder.resourceStatus}) of this stack; not adopted, nothing was changed`,
    hint:
      "Give this resource its own batch (leave BatchId out). To move the batch here deliberately: set DeletionPolicy: Retain on " +
      `${holder.logicalResourceId} and deploy, then remove ${holder.logicalResourceId} from the template and deploy (the batch keeps its status), then adopt it here with BatchId`,
  });
}

/**
 * The other logical resource of the stack `stackId` that now holds `batchId`, if any, read before a
 * Delete cancels it. In one stack update a batch can move: the resource that held it takes another
 * (a replacing Update, new physical id) and another resource adopts it; CloudFormation's record then
 * shows the adopter with that physical id, and the update's cleanup still sends Delete for the old
 * one. That Delete must not cancel the batch the adopter declares. A read that fails throws
 * StackRecordError: nothing is cancelled blind.
 */
export async function heldElsewhere(
  stackId: string,
  logicalResourceId: string,
  batchId: string,
  opts: { signal?: AbortSignal } = {},
): Promise<StackResource | undefined> {
  return holderOf(await listStackResources(stackId, opts.signal, deleteRead(batchId)), batchId, logicalResourceId);
}

/** How a failed read is worded, for the operation it stopped. */
interface ReadPurpose {
  question: (stack: string) => string;
  consequence: string;
}

const ADOPT_READ: ReadPurpose = {
  question: (stack) => `whether another resource of stack ${stack} holds the BatchId to adopt`,
  consequence: "nothing was adopted",
};

function deleteRead(batchId: string): ReadPurpose {
  return {
    question: (stack) =>
      `whether another resource of stack ${stack} now holds batch ${batchId} (a batch moved to another resource in this update must not be cancelled)`,
    consequence: `nothing was cancelled and the batch keeps its status (an active batch's mail goes out at its send time). To remove the resource without cancelling the batch, retain it: DeletionPolicy: Retain, or \`aws cloudformation delete-stack --retain-resources <LogicalId>\` once the stack is DELETE_FAILED`,
  };
}

async function listStackResources(stackId: string, signal: AbortSignal | undefined, purpose: ReadPurpose): Promise<StackResource[]> {
  if (stackId === "") throw new StackRecordError(readFailure(stackId, "the event has no StackId", purpose));
  const resources: StackResource[] = [];
  try {
    // A `require` inside the function: see lambda/apiKey.ts (NODE_PATH is how the runtime exposes its SDK).
    const cfn = require("@aws-sdk/client-cloudformation") as typeof import("@aws-sdk/client-cloudformation");
    const region = /^arn:[^:]+:cloudformation:([^:]+):/.exec(stackId)?.[1];
    const client = sdkClient(
      `cloudformation ${region ?? ""}`,
      () => new cfn.CloudFormationClient(region ? { region, maxAttempts: 3 } : { maxAttempts: 3 }),
    );
    let nextToken: string | undefined;
    do {
      const page = await client.send(new cfn.ListStackResourcesCommand({ StackName: stackId, NextToken: nextToken }), {
        abortSignal: signal,
      });
      for (const r of page.StackResourceSummaries ?? []) {
        resources.push({
          logicalResourceId: r.LogicalResourceId ?? "",
          physicalResourceId: r.PhysicalResourceId,
          resourceType: r.ResourceType ?? "",
          resourceStatus: r.ResourceStatus ?? "",
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  } catch (err) {
    const name = err instanceof Error ? err.name : "Error";
    const message = err instanceof Error ? err.message : String(err);
    throw new StackRecordError(readFailure(stackId, `${name}: ${message}`, purpose));
  }
  return resources;
}

function readFailure(stackId: string, what: string, purpose: ReadPurpose): string {
  return (
    `Cannot tell ${purpose.question(stackId || "(unknown)")}: listing the stack's resources failed (${what}); ${purpose.consequence}. ` +
    "Grant the function's role cloudformation:ListStackResources on the stack (lambda/template.yaml, the CDK provider and the Pulumi example do), or retry the stack operation if it was throttled"
  );
}
