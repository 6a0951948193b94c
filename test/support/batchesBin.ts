// The built `sendgrid-batches` bin run as a child process, as an operator or a script runs it.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../../emulator";
import { REPO_ROOT } from "../../scripts/lib/repoRoot";

export const BATCHES_BIN = path.join(REPO_ROOT, "dist", "cli", "sendgrid-batches.js");

export interface BinResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the bin with `args` (stdin is not a terminal, so nothing is confirmed without --yes). */
export function runBatchesBin(args: string[], env: Record<string, string | undefined> = {}): Promise<BinResult> {
  const child = spawn(process.execPath, [BATCHES_BIN, ...args], {
    env: { PATH: process.env.PATH, SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** A file holding `content` (a string as is, anything else as JSON) in a fresh temp directory. */
export function tempFile(name: string, content: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgb-bin-")), name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** A minimal `pulumi stack export` document recording these ScheduledBatch ids (and their send times). */
export function stackExport(batches: { id: string; sendAt?: number; status?: string }[], pending: { type: string; urn: string }[] = []) {
  return {
    version: 3,
    deployment: {
      manifest: { time: "2026-11-29T00:00:00Z", magic: "", version: "v3.248.0" },
      resources: batches.map((b, i) => ({
        urn: `urn:pulumi:dev::p::pulumi-nodejs:dynamic/sendgrid:ScheduledBatch::b${i}`,
        type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch",
        id: b.id,
        outputs: { batchId: b.id, status: b.status ?? "paused", ...(b.sendAt !== undefined ? { sendAt: b.sendAt } : {}) },
      })),
      ...(pending.length ? { pending_operations: pending.map((p) => ({ type: p.type, resource: { urn: p.urn } })) } : {}),
    },
  };
}
