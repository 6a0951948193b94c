// One transition table for every adapter: the dynamic resource (test/transitions-dynamic.test.ts),
// the plugin from a YAML program (test/transitions-plugin.test.ts) and the Lambda bundle
// (test/transitions-lambda.test.ts) walk these rows in order, one stack each (as Terraform's test
// steps do), and each row asserts exactly its SendGrid calls from the emulator's request log
// (takeSendGridCalls). Where an adapter legitimately differs, the row says so, with the reason.

import { DEFAULT_EMULATOR_API_KEY } from "../../emulator";

export type Status = "active" | "paused" | "cancelled";
/** "main": the API key's own account; "subuser": On-Behalf-Of subuser-a (dynamic: the onBehalfOf
 * input; plugin: another provider instance; Lambda: the OnBehalfOf property). */
export type Account = "main" | "subuser";

export const SUBUSER = "subuser-a";

export interface Declared {
  status: Status;
  account: Account;
  /** Adopt the batch made out of band under this name (see OutOfBand.make). */
  adopt?: string;
}

/** The resources a program declares after the row, by logical name. */
export type Program = Readonly<Record<string, Declared>>;

/** A change made in SendGrid directly, before the row's operation (its calls are not counted). */
export type OutOfBand =
  /** A new batch of the main account, under a name rows can adopt, in this status. */
  | { make: string; status: Status }
  /** Someone changes the batch of a declared resource in SendGrid directly. */
  | { drift: string; to: Status };

export type Operation =
  /** `pulumi up` / a CloudFormation stack update to the program. */
  | { up: Program }
  /** `pulumi refresh`. */
  | { refresh: true }
  /** `pulumi destroy` / deleting the CloudFormation stack. */
  | { destroy: true };

export interface Deviation {
  calls: string[];
  why: string;
  /** The statuses SendGrid holds afterwards, when they are not the declared ones. */
  leaves?: Record<string, Status>;
}

export interface Row {
  name: string;
  before?: OutOfBand[];
  op: Operation;
  /** The SendGrid calls, in order, as "METHOD /route/template". */
  calls: string[];
  /** The Lambda's calls where CloudFormation drives it differently than the Pulumi engine. */
  lambda?: Deviation;
  /** The statuses SendGrid holds afterwards, when they are not the declared ones. */
  leaves?: Record<string, Status>;
}

export const CREATE = "POST /v3/mail/batch";
export const ADD_STATUS = "POST /v3/user/scheduled_sends";
export const CHANGE_STATUS = "PATCH /v3/user/scheduled_sends/{batch_id}";
export const CLEAR_STATUS = "DELETE /v3/user/scheduled_sends/{batch_id}";
export const READ_STATUS = "GET /v3/user/scheduled_sends/{batch_id}";
export const VALIDATE = "GET /v3/mail/batch/{batch_id}";

const b = (status: Status, account: Account = "main"): Program => ({ b: { status, account } });

export const TRANSITIONS: readonly Row[] = [
  { name: "create active", op: { up: b("active") }, calls: [CREATE] },
  { name: "no change", op: { up: b("active") }, calls: [] },
  { name: "active → paused", op: { up: b("paused") }, calls: [ADD_STATUS] },
  { name: "paused → cancelled", op: { up: b("cancelled") }, calls: [CHANGE_STATUS] },
  { name: "cancelled → paused", op: { up: b("paused") }, calls: [CHANGE_STATUS] },
  { name: "paused → active", op: { up: b("active") }, calls: [CLEAR_STATUS] },
  { name: "active → cancelled", op: { up: b("cancelled") }, calls: [ADD_STATUS] },
  { name: "cancelled → active", op: { up: b("active") }, calls: [CLEAR_STATUS] },
  {
    name: "a change of account replaces: create the new batch, then cancel the old active one",
    op: { up: b("active", "subuser") },
    calls: [CREATE, ADD_STATUS],
    lambda: {
      // lambda/operations.ts onUpdate: a rollback would hand back an id that is already the new account's.
      why: "the Update first reads the old id as the new account (is it a rollback?), then creates; CloudFormation's Delete of the old id cancels it",
      calls: [READ_STATUS, VALIDATE, CREATE, ADD_STATUS],
    },
  },
  {
    name: "create paused",
    op: { up: { ...b("active", "subuser"), p: { status: "paused", account: "main" } } },
    calls: [CREATE, ADD_STATUS],
  },
  { name: "destroy of a paused batch", op: { up: b("active", "subuser") }, calls: [CHANGE_STATUS] },
  {
    name: "create cancelled",
    op: { up: { ...b("active", "subuser"), c: { status: "cancelled", account: "main" } } },
    calls: [CREATE, ADD_STATUS],
  },
  { name: "destroy of a cancelled batch (one read proves it, nothing to write)", op: { up: b("active", "subuser") }, calls: [READ_STATUS] },
  {
    name: "adopt an active batch as paused: read, validate, pause",
    before: [{ make: "open", status: "active" }],
    op: { up: { ...b("active", "subuser"), a: { status: "paused", account: "main", adopt: "open" } } },
    calls: [READ_STATUS, VALIDATE, ADD_STATUS],
  },
  {
    name: "adopt a batch already in the declared status: one read",
    before: [{ make: "held", status: "paused" }],
    op: {
      up: {
        ...b("active", "subuser"),
        a: { status: "paused", account: "main", adopt: "open" },
        h: { status: "paused", account: "main", adopt: "held" },
      },
    },
    calls: [READ_STATUS],
  },
  {
    name: "destroy of an adopted paused batch",
    op: { up: { ...b("active", "subuser"), a: { status: "paused", account: "main", adopt: "open" } } },
    calls: [CHANGE_STATUS],
  },
  {
    name: "destroy of an active batch (of the subuser)",
    op: { up: { a: { status: "paused", account: "main", adopt: "open" } } },
    calls: [ADD_STATUS],
  },
  {
    name: "refresh after out-of-band drift (resumed in SendGrid) records it: read, validate",
    before: [{ drift: "a", to: "active" }],
    op: { refresh: true },
    calls: [READ_STATUS, VALIDATE],
    leaves: { a: "active" },
    lambda: {
      why: "CloudFormation has no refresh (drift detection never invokes a custom resource): no event",
      calls: [],
      leaves: { a: "active" },
    },
  },
  {
    name: "the next up brings the drifted batch back to the declared status",
    op: { up: { a: { status: "paused", account: "main", adopt: "open" } } },
    calls: [ADD_STATUS],
    lambda: {
      why: "the template did not change, so CloudFormation sends no event and the drift stays",
      calls: [],
      leaves: { a: "active" },
    },
  },
  {
    name: "destroy of the last batch (paused): the stack's destroy",
    op: { destroy: true },
    calls: [CHANGE_STATUS],
    lambda: {
      // lambda/operations.ts onDelete: one call for the declared status; a refusal is reconciled by a read.
      why: "the Delete acts on the declared status (paused, CloudFormation never learned of the drift): SendGrid refuses the PATCH, the read finds no status and the validation confirms the account knows the batch (an id another account's key cannot see reads the same way), then cancel",
      calls: [CHANGE_STATUS, READ_STATUS, VALIDATE, ADD_STATUS],
    },
  },
];

/** The program a row leaves declared (the last `up` before it, or nothing after a destroy). */
export function programAfter(rows: readonly Row[], index: number): Program {
  let program: Program = {};
  for (const row of rows.slice(0, index + 1)) {
    if ("up" in row.op) program = row.op.up;
    else if ("destroy" in row.op) program = {};
  }
  return program;
}

/** The statuses SendGrid should hold after a row, for each declared resource. */
export function expectedStatuses(program: Program, leaves: Record<string, Status> | undefined): Record<string, Status> {
  const out: Record<string, Status> = {};
  for (const [name, d] of Object.entries(program)) out[name] = leaves?.[name] ?? d.status;
  return out;
}

const SENDGRID_STATUS: Record<Exclude<Status, "active">, "pause" | "cancel"> = { paused: "pause", cancelled: "cancel" };

/**
 * Make the row's out-of-band changes in SendGrid directly, over HTTP. `made` records the batches
 * made by name; `idOf` gives a declared resource's batch id and account.
 */
export async function applyOutOfBand(
  url: string,
  changes: readonly OutOfBand[],
  made: Record<string, string>,
  idOf: (name: string) => { batchId: string; account: Account },
): Promise<void> {
  const send = async (method: string, path: string, account: Account, body?: unknown): Promise<unknown> => {
    const headers: Record<string, string> = { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` };
    if (account === "subuser") headers["On-Behalf-Of"] = SUBUSER;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`out of band: ${method} ${path} answered ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  const setStatus = async (batchId: string, account: Account, from: Status | undefined, to: Status) => {
    if (to === "active") await send("DELETE", `/v3/user/scheduled_sends/${batchId}`, account);
    else if (from === undefined || from === "active")
      await send("POST", "/v3/user/scheduled_sends", account, { batch_id: batchId, status: SENDGRID_STATUS[to] });
    else await send("PATCH", `/v3/user/scheduled_sends/${batchId}`, account, { status: SENDGRID_STATUS[to] });
  };
  for (const change of changes) {
    if ("make" in change) {
      const { batch_id } = (await send("POST", "/v3/mail/batch", "main")) as { batch_id: string };
      made[change.make] = batch_id;
      if (change.status !== "active") await setStatus(batch_id, "main", "active", change.status);
    } else {
      const { batchId, account } = idOf(change.drift);
      // A drift to paused/cancelled starts from an active batch (POST); to active, from any (DELETE).
      await setStatus(batchId, account, "active", change.to);
    }
  }
}
