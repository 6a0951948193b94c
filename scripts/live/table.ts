// The transition table the live suite drives through the core (core/client.ts, core/batches.ts):
// create in each status, every status change, read, list, adopt, cancel, then the cases SendGrid
// does not document. Rows that the core relies on must come out as the core expects (the run fails
// otherwise); probes of undocumented cases only record what SendGrid says.

import { adoptBatch, applyStatus, cancelBatch, createBatch, readBatch, SendGridError, type SendGridBatchClient } from "../../core";
import { MALFORMED_ID, type Exchange, type NotExercised } from "./recording";

export interface Row {
  step: string;
  outcome: string;
  ok: boolean;
}

export interface TableContext {
  client: SendGridBatchClient;
  /** Labels the exchanges that follow (the recorder's step). */
  step(label: string, which?: Exchange["case"]): void;
  /** A well-formed id no account has (the run made it up). */
  unknownId: string;
}

/** Most slots the table holds at once: the run refuses to start with fewer free. */
export const SLOTS_NEEDED = 4;

export const NOT_EXERCISED: NotExercised[] = [
  {
    case: "lateChange",
    why: "a batch only gets a send_at from Mail Send (POST /v3/mail/send), which this suite never calls: it sends no mail, so no pause or cancel can come late",
  },
  {
    case: "max limit reached",
    why: "reaching it would hold all of the account's paused/cancelled slots (documented: 400 max limit reached)",
  },
];

function describe(err: unknown): string {
  if (err instanceof SendGridError) return `${err.status ?? "-"} ${err.code}${err.fields[0] ? `: ${err.fields[0].message}` : ""}`;
  return err instanceof Error ? err.message : String(err);
}

export async function runTable(ctx: TableContext, rows: Row[]): Promise<void> {
  const { client } = ctx;

  /** A row the core depends on: it must give `expected`. */
  async function must<T>(step: string, run: () => Promise<T>, expected?: T, which?: Exchange["case"]): Promise<T> {
    ctx.step(step, which);
    let got: T;
    try {
      got = await run();
    } catch (err) {
      rows.push({ step, outcome: describe(err), ok: false });
      throw new Error(`${step}: ${describe(err)}`, { cause: err });
    }
    const ok = expected === undefined || JSON.stringify(got) === JSON.stringify(expected);
    rows.push({ step, outcome: JSON.stringify(got) ?? "done", ok });
    if (!ok) throw new Error(`${step}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
    return got;
  }

  /** A row that must fail with a documented error code. */
  async function mustFail(step: string, run: () => Promise<unknown>, code: SendGridError["code"]): Promise<void> {
    ctx.step(step);
    try {
      await run();
    } catch (err) {
      const ok = err instanceof SendGridError && err.code === code;
      rows.push({ step, outcome: describe(err), ok });
      if (!ok) throw new Error(`${step}: expected ${code}, got ${describe(err)}`, { cause: err });
      return;
    }
    rows.push({ step, outcome: "succeeded", ok: false });
    throw new Error(`${step}: expected ${code}, but it succeeded`);
  }

  /** A probe of an undocumented case: whatever SendGrid says is recorded. */
  async function probe(step: string, which: Exchange["case"] | undefined, run: () => Promise<unknown>): Promise<void> {
    ctx.step(step, which);
    try {
      const got = await run();
      rows.push({ step, outcome: got === undefined ? "succeeded" : JSON.stringify(got), ok: true });
    } catch (err) {
      rows.push({ step, outcome: describe(err), ok: true });
    }
  }

  const a = (await must("create active", () => createBatch(client, "active"))).batchId;
  await must("read active (no status)", () => readBatch(client, a), "active", "readWithoutStatus");
  await must("active → paused", () => applyStatus(client, a, "paused", "active"), "paused");
  await must("read paused", () => readBatch(client, a), "paused");
  await mustFail("POST a status over a status", () => client.createStatus(a, "cancel"), "STATUS_EXISTS");
  await probe("PATCH to the same status (pause)", "samePatch", () => client.updateStatus(a, "pause"));
  await must("paused → cancelled", () => applyStatus(client, a, "cancelled", "paused"), "cancelled");
  await must("read cancelled", () => readBatch(client, a), "cancelled");
  await probe("PATCH to the same status (cancel)", "samePatch", () => client.updateStatus(a, "cancel"));
  await must("cancelled → paused", () => applyStatus(client, a, "paused", "cancelled"), "paused");
  await must("paused → active", () => applyStatus(client, a, "active", "paused"), "active");
  await must("active → cancelled", () => applyStatus(client, a, "cancelled", "active"), "cancelled");
  await must("cancelled → active", () => applyStatus(client, a, "active", "cancelled"), "active");
  await mustFail("PATCH without a status", () => client.updateStatus(a, "pause"), "BATCH_NOT_FOUND");
  await mustFail("DELETE without a status", () => client.clearStatus(a), "BATCH_NOT_FOUND");

  const b = (await must("create paused", () => createBatch(client, "paused"))).batchId;
  const c = (await must("create cancelled", () => createBatch(client, "cancelled"))).batchId;
  const listed = await must("list", async () => {
    const mine = (await client.listStatuses()).filter((e) => e.batch_id === a || e.batch_id === b || e.batch_id === c);
    return mine.map((e) => `${e.batch_id === b ? "b" : e.batch_id === c ? "c" : "a"}:${e.status}`).sort();
  });
  if (JSON.stringify(listed) !== JSON.stringify(["b:pause", "c:cancel"]))
    throw new Error(`list: expected b:pause, c:cancel, got ${listed}`);

  await must("adopt a paused batch as paused", async () => (await adoptBatch(client, b, "paused")).status, "paused");
  await must("adopt a paused batch as cancelled", async () => (await adoptBatch(client, b, "cancelled")).status, "cancelled");
  await must("adopt an active batch as paused", async () => (await adoptBatch(client, a, "paused")).status, "paused");
  await must("cancel an already-cancelled batch", () => cancelBatch(client, c), "already-cancelled");
  await must("cancel a paused batch", () => cancelBatch(client, a, "paused"), "cancelled");
  const d = (await must("create active (to cancel)", () => createBatch(client, "active"))).batchId;
  await must("cancel an active batch", () => cancelBatch(client, d, "active"), "cancelled");
  await mustFail("cancel an id no account has", () => cancelBatch(client, ctx.unknownId), "UNKNOWN_BATCH");

  await probe("malformed id: validate", "malformedId.validate", () => client.validateBatchId(MALFORMED_ID));
  await probe("malformed id: read", "malformedId.read", () => client.getStatus(MALFORMED_ID));
  await probe("malformed id: POST status", "malformedId.create", () => client.createStatus(MALFORMED_ID, "pause"));
  await probe("malformed id: PATCH", "malformedId.update", () => client.updateStatus(MALFORMED_ID, "pause"));
  await probe("malformed id: DELETE", "malformedId.delete", () => client.clearStatus(MALFORMED_ID));
}
