#!/usr/bin/env node
// sendgrid-batches: look at an account's paused/cancelled batches and free quota slots safely.
//
// SendGrid allows 10 batches paused or cancelled at once, and a cancelled batch keeps its slot
// until its status is DELETEd, even after its mail was discarded at send_at. But DELETE on a
// cancelled batch whose send_at is still ahead would *release* its mail, and SendGrid's API does
// not tell a batch's send_at. So this tool clears a cancelled batch only when its send time is
// known (from a Pulumi stack export or an explicit --sent) and has passed; paused batches are
// never touched.

import * as fs from "node:fs";
import * as readline from "node:readline/promises";
import { parseArgs } from "node:util";
import { apiKeyProblem, clientFor, describeError, parseSendAt, type Region, type ScheduledSendStatus } from "../core";

const USAGE = `Usage:
  sendgrid-batches list            [connection options] [--state FILE] [--sent ID=TIME ...]
  sendgrid-batches clear-cancelled [connection options] [--state FILE] [--sent ID=TIME ...] [--yes] [--dry-run]

Connection options (the API key comes from SENDGRID_API_KEY):
  --api-url URL        API base URL (default by region; http only for loopback, e.g. the emulator)
  --region global|eu   SendGrid region (default global)
  --on-behalf-of NAME  act for a subuser
Send times (SendGrid's API does not report them):
  --state FILE         a \`pulumi stack export\` file: sendAt of each ScheduledBatch resource
  --sent ID=TIME       the send time of one batch (Unix seconds or ISO 8601); repeatable
clear-cancelled removes the status of cancelled batches whose send time passed more than
--margin seconds ago (default 600), after confirmation (or --yes). Paused batches are never touched.`;

export interface Row {
  batchId: string;
  status: "paused" | "cancelled";
  sendAt?: number;
  clearable: boolean;
  why: string;
}

/** Send times recorded for ScheduledBatch resources in a `pulumi stack export` document. */
export function sendTimesFromState(doc: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const resources = (doc as { deployment?: { resources?: unknown[] } })?.deployment?.resources ?? [];
  for (const r of resources) {
    const res = r as { type?: string; id?: string; outputs?: Record<string, unknown> };
    if (!res.type?.endsWith(":ScheduledBatch") || !res.id || res.outputs?.sendAt === undefined) continue;
    const parsed = parseSendAt(res.outputs.sendAt);
    if ("seconds" in parsed) out.set(res.id, parsed.seconds);
  }
  return out;
}

/** Decide, per entry, whether clearing its status is safe. Pure. */
export function classify(entries: ScheduledSendStatus[], sendTimes: Map<string, number>, nowSeconds: number, marginSeconds: number): Row[] {
  return entries.map((e) => {
    const sendAt = sendTimes.get(e.batch_id);
    if (e.status === "pause")
      return { batchId: e.batch_id, status: "paused", sendAt, clearable: false, why: "paused: clearing would send its mail" };
    if (sendAt === undefined)
      return { batchId: e.batch_id, status: "cancelled", clearable: false, why: "send time unknown: pass --state or --sent" };
    if (sendAt + marginSeconds > nowSeconds) {
      return {
        batchId: e.batch_id,
        status: "cancelled",
        sendAt,
        clearable: false,
        why: "send time not yet passed: clearing would release its mail",
      };
    }
    return { batchId: e.batch_id, status: "cancelled", sendAt, clearable: true, why: "mail already discarded at send time" };
  });
}

function table(rows: Row[]): string {
  const lines = rows.map((r) =>
    [r.batchId, r.status, r.sendAt ? new Date(r.sendAt * 1000).toISOString() : "-", r.clearable ? "yes" : "no", r.why].join("  "),
  );
  return ["batch_id  status  send_at  clearable  reason", ...lines].join("\n");
}

export async function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void; confirm?: (q: string) => Promise<boolean> },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "api-url": { type: "string" },
      region: { type: "string" },
      "on-behalf-of": { type: "string" },
      state: { type: "string" },
      sent: { type: "string", multiple: true },
      margin: { type: "string", default: "600" },
      yes: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const command = positionals[0];
  if (values.help || (command !== "list" && command !== "clear-cancelled")) {
    io.out(USAGE);
    return values.help ? 0 : 2;
  }
  const apiKey = process.env.SENDGRID_API_KEY;
  const keyProblem = apiKeyProblem(apiKey);
  if (keyProblem || !apiKey) {
    io.err(`error: ${keyProblem}`);
    return 2;
  }
  if (values.region !== undefined && values.region !== "global" && values.region !== "eu") {
    io.err(`error: --region must be "global" or "eu"`);
    return 2;
  }

  const sendTimes = values.state ? sendTimesFromState(JSON.parse(fs.readFileSync(values.state, "utf8"))) : new Map<string, number>();
  for (const s of values.sent ?? []) {
    const [id, time] = s.split("=", 2);
    const parsed = parseSendAt(time ?? "");
    if (!id || "reason" in parsed) {
      io.err(`error: --sent ${s}: expected ID=TIME (${"reason" in parsed ? parsed.reason : "missing id"})`);
      return 2;
    }
    sendTimes.set(id, parsed.seconds);
  }

  try {
    const client = clientFor({
      apiKey,
      apiUrl: values["api-url"],
      region: values.region as Region | undefined,
      onBehalfOf: values["on-behalf-of"],
    });
    const rows = classify(await client.listStatuses(), sendTimes, Math.floor(Date.now() / 1000), Number(values.margin));
    io.out(rows.length ? table(rows) : "no paused or cancelled batches");
    io.out(`${rows.length} of 10 slots used`);
    if (command === "list") return 0;

    const clearable = rows.filter((r) => r.clearable);
    if (clearable.length === 0) {
      io.out("nothing to clear");
      return 0;
    }
    if (values["dry-run"]) {
      io.out(`would clear ${clearable.length}: ${clearable.map((r) => r.batchId).join(", ")}`);
      return 0;
    }
    const ok = values.yes || (io.confirm ? await io.confirm(`Clear the status of ${clearable.length} cancelled batch(es)? [y/N] `) : false);
    if (!ok) {
      io.err("not confirmed: nothing cleared (use --yes in scripts)");
      return 1;
    }
    for (const r of clearable) {
      await client.clearStatus(r.batchId);
      io.out(`cleared ${r.batchId}`);
    }
    io.out(`freed ${clearable.length} slot(s)`);
    return 0;
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return 1;
  }
}

if (require.main === module) {
  const confirm = process.stdin.isTTY
    ? async (q: string) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(q);
        rl.close();
        return /^y(es)?$/i.test(answer.trim());
      }
    : undefined;
  main(process.argv.slice(2), { out: (s) => console.log(s), err: (s) => console.error(s), confirm }).then((code) => {
    process.exitCode = code;
  });
}
