// Shared helpers for the emulator tests: raw HTTP calls over real sockets (global fetch).

import { DEFAULT_EMULATOR_API_KEY, type Emulator, type EmulatorAdmin } from "../../emulator";

export const KEY = DEFAULT_EMULATOR_API_KEY;

export interface CallOptions {
  body?: unknown;
  /** Raw body text, sent as is. */
  raw?: string;
  /** API key; null sends no Authorization header. */
  key?: string | null;
  onBehalfOf?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function call(em: Emulator, method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  const key = opts.key === undefined ? KEY : opts.key;
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  if (opts.onBehalfOf) headers["On-Behalf-Of"] = opts.onBehalfOf;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch(em.url + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  if (text !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function sgError(message: string, field: string | null = null): { errors: Array<{ field: string | null; message: string }> } {
  return { errors: [{ field, message }] };
}

export async function createBatch(em: Emulator, opts: CallOptions = {}): Promise<string> {
  const res = await call(em, "POST", "/v3/mail/batch", opts);
  if (res.status !== 201) throw new Error(`POST /v3/mail/batch answered ${res.status} ${res.text}`);
  return (res.json as { batch_id: string }).batch_id;
}

export function setStatus(em: Emulator, batchId: string, status: "pause" | "cancel", opts: CallOptions = {}): Promise<CallResult> {
  return call(em, "POST", "/v3/user/scheduled_sends", { ...opts, body: { batch_id: batchId, status } });
}

/** A batch made straight at the emulator, as someone outside Pulumi would, with `status` if given; clears the request log. */
export async function outOfBandBatch(em: Emulator, admin: EmulatorAdmin, status?: "pause" | "cancel"): Promise<string> {
  const batchId = await createBatch(em);
  if (status) {
    const res = await setStatus(em, batchId, status);
    if (res.status !== 201) throw new Error(`POST /v3/user/scheduled_sends answered ${res.status} ${res.text}`);
  }
  await admin.clearRequests();
  return batchId;
}

/** A minimal valid Mail Send body. */
export function mail(extra: Record<string, unknown> = {}, personalization: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    personalizations: [{ to: [{ email: "ada@example.com" }], ...personalization }],
    from: { email: "ops@example.com" },
    subject: "Launch",
    content: [{ type: "text/plain", value: "We are live." }],
    ...extra,
  };
}

/** After `seconds` on the emulator's clock: what SendGrid holds for `batchId` ("active": no status) and every message's fate. */
export async function settled(admin: EmulatorAdmin, batchId: string, seconds = 2 * 3600): Promise<{ sendgrid: string; fates: string[] }> {
  await admin.advanceClock(seconds);
  return {
    sendgrid: (await admin.batches()).find((b) => b.batch_id === batchId)?.status ?? "active",
    fates: (await admin.messages()).map((m) => m.fate),
  };
}
