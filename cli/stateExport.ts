// `pulumi stack export` files as this CLI reads them: send times of ScheduledBatch resources, every
// id a stack records, and the operations an interrupted run left pending.

import * as fs from "node:fs";
import { accountKey, isScheduledBatchType, parseSendAt } from "../core";

export interface StateExport {
  file: string;
  /** The file's text: an id that appears anywhere in it is treated as recorded (see recordedIn). */
  text: string;
  doc: { deployment: Record<string, unknown> };
}

/** A pending operation: `creating` ones are what a killed `pulumi up` leaves behind. */
export interface PendingOperation {
  file: string;
  type: string;
  urn: string;
  id?: string;
  /**
   * A create whose resource the same export records with an id: a later `pulumi up` made it, and
   * the engine keeps the stale entry until `pulumi refresh --clear-pending-creates`.
   */
  resolved: boolean;
}

/** Read and check one export; a problem is a sentence naming the file (exit 2 for the caller). */
export function readStateExport(file: string): { state: StateExport } | { problem: string } {
  let text: string;
  try {
    // A byte-order mark (PowerShell's `>` and Out-File, some editors) is not part of the JSON.
    text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    return { problem: `cannot read --state ${file} (${code}); pass the file written by \`pulumi stack export --file FILE\`` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return {
      problem: `--state ${file} is not JSON (${err instanceof Error ? err.message : String(err)}); pass the file written by \`pulumi stack export --file FILE\``,
    };
  }
  const deployment = (doc as { deployment?: unknown } | null)?.deployment;
  if (typeof deployment !== "object" || deployment === null || Array.isArray(deployment)) {
    return { problem: `--state ${file} is not a \`pulumi stack export\` document (it has no "deployment" object)` };
  }
  return { state: { file, text, doc: { deployment: deployment as Record<string, unknown> } } };
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A send time a stack records: Unix seconds, or the recorded value that cannot be read as one. */
export type DeclaredSendTime = { seconds: number } | { unreadable: string };

/**
 * Send times recorded for ScheduledBatch resources in a `pulumi stack export` document: every
 * distinct one per batch id (two resources may name one batch), none for a resource without sendAt.
 */
export function sendTimesFromState(doc: unknown): Map<string, DeclaredSendTime[]> {
  const out = new Map<string, DeclaredSendTime[]>();
  const resources = list((doc as { deployment?: { resources?: unknown } } | null)?.deployment?.resources);
  for (const r of resources) {
    const res = r as { type?: unknown; id?: unknown; outputs?: Record<string, unknown> } | null;
    if (typeof res?.type !== "string" || !isScheduledBatchType(res.type) || typeof res.id !== "string" || !res.id) continue;
    if (res.outputs?.sendAt === undefined || res.outputs.sendAt === null) continue;
    const parsed = parseSendAt(res.outputs.sendAt);
    // A value we cannot read is kept as such: it must stop a decision, not vanish from it.
    const time: DeclaredSendTime = "seconds" in parsed ? parsed : { unreadable: String(JSON.stringify(res.outputs.sendAt)) };
    const known = out.get(res.id) ?? [];
    if (!known.some((k) => JSON.stringify(k) === JSON.stringify(time))) out.set(res.id, [...known, time]);
  }
  return out;
}

/** The operations a run left pending (a live run has them too). */
export function pendingOperations(state: StateExport): PendingOperation[] {
  const recorded = new Set(
    (list(state.doc.deployment.resources) as ExportedResource[]).filter((r) => typeof r?.id === "string" && r.id).map((r) => r.urn),
  );
  return list(state.doc.deployment.pending_operations).map((p) => {
    const op = p as { type?: unknown; resource?: { urn?: unknown; id?: unknown } } | null;
    const id = op?.resource?.id;
    const type = typeof op?.type === "string" ? op.type : "unknown";
    const urn = typeof op?.resource?.urn === "string" ? op.resource.urn : "(no urn)";
    return {
      file: state.file,
      type,
      urn,
      ...(typeof id === "string" && id ? { id } : {}),
      resolved: type === "creating" && recorded.has(urn),
    };
  });
}

/**
 * Whether a stack records this batch id anywhere: as a resource id, an output, an input (an
 * adopted batchId), a stack output, or a pending operation. Searching the whole text rather than
 * known fields errs on the safe side: an id found anywhere is never touched. SendGrid's ids are 32
 * random characters, so a chance match only ever protects a batch, never exposes one.
 */
export function recordedIn(states: StateExport[], batchId: string): boolean {
  return states.some((s) => s.text.includes(batchId));
}

interface ExportedResource {
  urn?: unknown;
  type?: unknown;
  id?: unknown;
  provider?: unknown;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** The engine's secret wrapper hides a value; an account setting never needs one, so it reads as absent. */
function plainOrUndefined(value: unknown): unknown {
  return typeof value === "object" && value !== null ? undefined : value;
}

function accountOf(settings: Record<string, unknown> | undefined): string {
  const s = settings ?? {};
  return accountKey({ apiUrl: plainOrUndefined(s.apiUrl), region: plainOrUndefined(s.region), onBehalfOf: plainOrUndefined(s.onBehalfOf) });
}

/**
 * The account (core accountKey: API origin and subuser) of every ScheduledBatch in an export: the
 * dynamic resource's own inputs, or the plugin resource's provider's configuration.
 */
export function batchAccounts(state: StateExport): { urn: string; account: string }[] {
  const resources = list(state.doc.deployment.resources) as ExportedResource[];
  const providers = new Map<string, ExportedResource>();
  for (const r of resources) if (typeof r?.urn === "string" && typeof r.id === "string") providers.set(`${r.urn}::${r.id}`, r);
  const out: { urn: string; account: string }[] = [];
  for (const r of resources) {
    if (typeof r?.type !== "string" || !isScheduledBatchType(r.type) || typeof r.urn !== "string") continue;
    const provider = typeof r.provider === "string" ? providers.get(r.provider) : undefined;
    const settings = r.type.startsWith("pulumi-nodejs:dynamic/") ? (r.outputs ?? r.inputs) : (provider?.outputs ?? provider?.inputs);
    out.push({ urn: r.urn, account: accountOf(settings) });
  }
  return out;
}

/** Whether the stack has resources of its own (not just the stack and its providers). */
export function hasResources(state: StateExport): boolean {
  return (list(state.doc.deployment.resources) as ExportedResource[]).some(
    (r) => typeof r?.type === "string" && r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"),
  );
}
