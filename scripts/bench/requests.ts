// §1 SendGrid requests per operation, counted in the emulator's request log, through the real
// engine (CLI + Automation API): one ScheduledBatch whose status comes from stack config.

import type { EmulatorAdmin } from "../../emulator";
import { manyStack } from "./programs";
import { emptySection, log, sendGridRequests, shortRoute, type SectionResult, type Table } from "./util";

interface Op {
  name: string;
  /** Stack config `status` before the operation (when it is an `up`). */
  status?: "active" | "paused" | "cancelled";
  run: "up" | "preview" | "refresh" | "destroy";
  limit: number;
  /** Why the limit is what it is. */
  basis: string;
}

// The order walks every transition of the state machine with one resource; each row is measured
// from the state the previous row left.
const OPS: Op[] = [
  { name: "preview of a new stack", run: "preview", status: "active", limit: 0, basis: "preview" },
  { name: "create active", run: "up", status: "active", limit: 1, basis: "1 for the id" },
  { name: "no-op preview", run: "preview", limit: 0, basis: "preview" },
  { name: "no-op up", run: "up", limit: 0, basis: "no change" },
  { name: "refresh (active)", run: "refresh", limit: 1, basis: "1 read" },
  { name: "pause (active→paused)", run: "up", status: "paused", limit: 1, basis: "1 transition" },
  { name: "refresh (paused)", run: "refresh", limit: 1, basis: "1 read" },
  { name: "resume (paused→active)", run: "up", status: "active", limit: 1, basis: "1 transition" },
  { name: "cancel (active→cancelled)", run: "up", status: "cancelled", limit: 1, basis: "1 transition" },
  { name: "un-cancel (cancelled→active)", run: "up", status: "active", limit: 1, basis: "1 transition" },
  { name: "pause (active→paused), again", run: "up", status: "paused", limit: 1, basis: "1 transition" },
  { name: "cancel (paused→cancelled)", run: "up", status: "cancelled", limit: 1, basis: "1 transition" },
  { name: "un-cancel (cancelled→paused)", run: "up", status: "paused", limit: 1, basis: "1 transition" },
  { name: "destroy (paused)", run: "destroy", limit: 1, basis: "1 transition (delete = cancel)" },
  { name: "create paused", run: "up", status: "paused", limit: 2, basis: "1 for the id + 1 transition" },
  { name: "cancel (paused→cancelled), again", run: "up", status: "cancelled", limit: 1, basis: "1 transition" },
  { name: "destroy (cancelled)", run: "destroy", limit: 0, basis: "already cancelled: no transition" },
  { name: "create cancelled", run: "up", status: "cancelled", limit: 2, basis: "1 for the id + 1 transition" },
  { name: "un-cancel (cancelled→active), again", run: "up", status: "active", limit: 1, basis: "1 transition" },
  { name: "destroy (active)", run: "destroy", limit: 1, basis: "1 transition (delete = cancel)" },
];

export async function requestsPerOperation(url: string, admin: EmulatorAdmin): Promise<SectionResult> {
  const section = emptySection(1, "SendGrid requests per operation (real engine, emulator request log)");
  await admin.reset();
  const s = await manyStack("batch", 1, url, "ops");
  const rows: string[][] = [];
  let excessTotal = 0;
  const excessOps: string[] = [];
  const measured = new Map<string, number>();
  try {
    for (const op of OPS) {
      if (op.status) await s.stack.setConfig("status", { value: op.status });
      await admin.clearRequests();
      log(`§1 ${op.name}`);
      if (op.run === "up") await s.stack.up();
      else if (op.run === "preview") await s.stack.preview();
      else if (op.run === "refresh") await s.stack.refresh();
      else await s.stack.destroy();
      const calls = await sendGridRequests(admin);
      measured.set(op.name, calls.length);
      const excess = calls.length - op.limit;
      if (excess > 0) {
        excessTotal += excess;
        excessOps.push(op.name);
      }
      rows.push([
        op.name,
        calls.length ? calls.map((c) => `${c.method} ${shortRoute(c.route ?? c.path)} ${c.status ?? "reset"}`).join(", ") : "—",
        String(calls.length),
        `${op.limit} (${op.basis})`,
        excess > 0 ? `+${excess} ⚠` : excess < 0 ? `${excess}` : "0 ✓",
      ]);
    }
  } finally {
    await s.dispose();
  }

  const table: Table = {
    title: "SendGrid requests per operation (one ScheduledBatch; counts from GET /__emulator/requests)",
    headers: ["operation", "requests (method route status)", "measured", "limit", "excess"],
    rows,
    align: ["l", "l", "r", "l", "r"],
  };
  section.tables.push(table);
  section.intro.push(
    "One `ScheduledBatch` in one stack, driven through the real CLI by `stack.up/preview/refresh/destroy` with `status` from stack config. " +
      "Each row counts the `/v3/…` requests the emulator logged during that one engine operation, from the state the previous row left. " +
      "Limit: one request per state transition (+1 for the id on create), zero for preview and no-op up, one read per batch for refresh.",
  );
  const opsWithExcess = OPS.filter((op) => excessOps.includes(op.name));
  section.goals.push({
    name: "requests above the limit, summed over all operations",
    measured: excessTotal,
    goal: 0,
    unit: "requests",
    met: excessTotal === 0,
    why: excessTotal
      ? `The excess is in ${opsWithExcess.map((o) => `"${o.name}"`).join(", ")}; see the notes below the table for why each extra read is made and what would remove it.`
      : undefined,
  });
  if (excessOps.includes("refresh (active)")) {
    section.notes.push(
      `**refresh (active) = ${measured.get("refresh (active)")}.** ` +
        "`GET /v3/user/scheduled_sends/{id}` answers `[]` (or 404) both for an active batch and for an id SendGrid does not know, so `readBatch` " +
        "(core/batches.ts) follows an empty answer with `GET /v3/mail/batch/{id}` to tell the two apart and let refresh drop a batch that no longer exists. " +
        `A paused or cancelled batch is identified by the first read alone (refresh (paused) = ${measured.get("refresh (paused)")}). ` +
        "Closing it would mean trusting `[]` as active during refresh — one read " +
        "per active batch saved — at the price of never detecting an id from another account/region; the project chose correctness, and the emulator shows it costs " +
        `${(measured.get("refresh (active)") ?? 1) - 1} extra GET per active batch per refresh, never a write.`,
    );
  }
  if (excessOps.includes("destroy (cancelled)")) {
    section.notes.push(
      `**destroy (cancelled) = ${measured.get("destroy (cancelled)")}.** ` +
        "`cancelBatch` (core/batches.ts) does not trust a recorded `cancelled`: it re-reads the status, because if someone un-cancelled the batch " +
        "out of band, skipping the call would let its mail go out after the resource is gone. For a recorded `active`/`paused` batch it acts on the belief (1 write, re-read only on a " +
        "`STATUS_EXISTS`/404 answer). Trusting the state (0 requests) would close it but give up that guarantee; a `pulumi refresh` before destroy gives the same safety explicitly.",
    );
  }
  return section;
}
