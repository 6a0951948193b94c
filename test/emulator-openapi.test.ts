// OpenAPI conformance: the emulator's real responses (success and error) validate against the
// response schemas of SendGrid's official OpenAPI 3.1 description, and the request bodies these
// tests send validate against its requestBody schemas.

import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import type { ValidateFunction } from "ajv";
import { startEmulator, type Emulator } from "../emulator";
import { call, createBatch, mail, type CallOptions, type CallResult } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

// SendGrid's official OpenAPI description (twilio/sendgrid-oai, MIT), the five path items this
// project uses and every component they reference; provenance is in its `x-extract-source`.
const SPEC_PATH = path.join(__dirname, "fixtures", "sendgrid", "scheduled-sends.oas.json");

interface ResponseObject {
  $ref?: string;
  content?: Record<string, unknown>;
}
interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject>;
  requestBody?: { $ref?: string; content?: Record<string, unknown> };
}
interface Spec {
  paths: Record<string, Record<string, OperationObject>>;
  components: { responses: Record<string, ResponseObject>; requestBodies: Record<string, unknown> };
}

const spec = JSON.parse(readFileSync(SPEC_PATH, "utf8")) as Spec;
// strict:false because the spec uses `nullable`, `example` and other OpenAPI-only keywords;
// unicodeRegExp:false because ScheduledSendStatus's pattern `^[a-zA-Z0-9\-\_]` escapes `_`, which
// is only legal in non-unicode ECMAScript regular expressions.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true, unicodeRegExp: false });
ajv.addSchema(spec, "oas");

const pointer = (...parts: string[]) => `#/${parts.map((p) => encodeURIComponent(p.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/")}`;

function schemaAt(ref: string): ValidateFunction {
  const v = ajv.getSchema(`oas${ref}`);
  if (!v) throw new Error(`no schema at ${ref}`);
  return v;
}

function operation(pathKey: string, method: string): OperationObject {
  const op = spec.paths[pathKey]?.[method.toLowerCase()];
  if (!op) throw new Error(`no operation ${method} ${pathKey} in the spec`);
  return op;
}

/** The response schema of an operation's status, following a response-level $ref; null when the response has no content. */
function responseValidator(pathKey: string, method: string, status: number): ValidateFunction | null {
  const op = operation(pathKey, method);
  const response = op.responses[String(status)];
  if (!response) throw new Error(`${op.operationId} documents no ${status} response`);
  let ref = pointer("paths", pathKey, method.toLowerCase(), "responses", String(status));
  let resolved = response;
  if (response.$ref) {
    ref = response.$ref;
    resolved = spec.components.responses[response.$ref.split("/").pop() as string];
  }
  if (!resolved.content) return null;
  return schemaAt(`${ref}/content/application~1json/schema`);
}

function requestValidator(pathKey: string, method: string): ValidateFunction {
  const body = operation(pathKey, method).requestBody;
  if (!body) throw new Error(`${method} ${pathKey} takes no body`);
  const ref = body.$ref ?? pointer("paths", pathKey, method.toLowerCase(), "requestBody");
  return schemaAt(`${ref}/content/application~1json/schema`);
}

function expectValid(v: ValidateFunction, data: unknown): void {
  const ok = v(data);
  expect({ ok, errors: v.errors ?? null, data }).toEqual({ ok: true, errors: null, data });
}

/** Asserts the status is one the operation documents and the body matches its schema (or is empty). */
function expectConforms(pathKey: string, method: string, res: CallResult): void {
  const v = responseValidator(pathKey, method, res.status);
  if (v === null) expect(res.text).toBe("");
  else {
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expectValid(v, res.json);
  }
}

const sg = useEmulator({ resetBeforeEach: true });

/** Sends a request whose body is first validated against the operation's requestBody schema. */
async function send(pathKey: string, method: string, urlPath: string, body: unknown, opts: CallOptions = {}): Promise<CallResult> {
  expectValid(requestValidator(pathKey, method), body);
  return call(sg.emulator, method, urlPath, { ...opts, body });
}

const BATCH = "/v3/mail/batch";
const BATCH_ONE = "/v3/mail/batch/{batch_id}";
const SEND = "/v3/mail/send";
const SS = "/v3/user/scheduled_sends";
const SS_ONE = "/v3/user/scheduled_sends/{batch_id}";

test("the validators can fail (a wrong status enum and a numeric message are rejected)", () => {
  expect(schemaAt(pointer("components", "schemas", "ScheduledSendStatus"))({ batch_id: "abc", status: "paused" })).toBe(false);
  expect(schemaAt(pointer("components", "schemas", "ErrorResponse"))({ errors: [{ field: null, message: 5 }] })).toBe(false);
  expect(requestValidator(SS, "POST")({ batch_id: "abc" })).toBe(false);
});

describe("CreateMailBatch (POST /v3/mail/batch)", () => {
  test("201, 401, 403, 405", async () => {
    expectConforms(BATCH, "POST", await call(sg.emulator, "POST", BATCH));
    expectConforms(BATCH, "POST", await call(sg.emulator, "POST", BATCH, { key: null }));
    expectConforms(BATCH, "POST", await call(sg.emulator, "POST", BATCH, { onBehalfOf: "stranger" }));
    const wrongMethod = await call(sg.emulator, "GET", BATCH);
    expect(wrongMethod.status).toBe(405);
    expectConforms(BATCH, "POST", wrongMethod);
  });
});

describe("GetMailBatch (GET /v3/mail/batch/{batch_id})", () => {
  test("200, 400, 401", async () => {
    const id = await createBatch(sg.emulator);
    expectConforms(BATCH_ONE, "GET", await call(sg.emulator, "GET", `${BATCH}/${id}`));
    expectConforms(BATCH_ONE, "GET", await call(sg.emulator, "GET", `${BATCH}/unknown`));
    expectConforms(BATCH_ONE, "GET", await call(sg.emulator, "GET", `${BATCH}/${id}`, { key: "SG.wrong" }));
  });
});

describe("ListScheduledSend (GET /v3/user/scheduled_sends)", () => {
  test("200 empty and with entries, 401", async () => {
    expectConforms(SS, "GET", await call(sg.emulator, "GET", SS));
    const id = await createBatch(sg.emulator);
    await send(SS, "POST", SS, { batch_id: id, status: "cancel" });
    const res = await call(sg.emulator, "GET", SS);
    expect((res.json as unknown[]).length).toBe(1);
    expectConforms(SS, "GET", res);
    expectConforms(SS, "GET", await call(sg.emulator, "GET", SS, { key: null }));
  });
});

describe("CreateScheduledSend (POST /v3/user/scheduled_sends)", () => {
  test("201 and every 400 (unknown id, status exists, max limit, bad enum, too late), 403", async () => {
    const now = await sg.admin.setNow(1_900_000_000);
    const id = await createBatch(sg.emulator);
    expectConforms(SS, "POST", await send(SS, "POST", SS, { batch_id: id, status: "pause" }));
    expectConforms(SS, "POST", await send(SS, "POST", SS, { batch_id: id, status: "cancel" }));
    expectConforms(SS, "POST", await send(SS, "POST", SS, { batch_id: "unknownBatch", status: "pause" }));
    const badEnum = await call(sg.emulator, "POST", SS, { body: { batch_id: id, status: "stop" } });
    expect(badEnum.status).toBe(400);
    expectConforms(SS, "POST", badEnum);

    const late = await createBatch(sg.emulator);
    await send(SEND, "POST", SEND, mail({ batch_id: late, send_at: now + 120 }));
    const tooLate = await send(SS, "POST", SS, { batch_id: late, status: "cancel" });
    expect(tooLate.status).toBe(400);
    expectConforms(SS, "POST", tooLate);

    await sg.admin.configure({ maxPausedOrCancelled: 1 });
    const full = await send(SS, "POST", SS, { batch_id: await createBatch(sg.emulator), status: "pause" });
    expect(full.status).toBe(400);
    expectConforms(SS, "POST", full);
    expectConforms(SS, "POST", await send(SS, "POST", SS, { batch_id: id, status: "pause" }, { onBehalfOf: "stranger" }));
  });
});

describe("GetScheduledSend (GET /v3/user/scheduled_sends/{batch_id})", () => {
  test("200 with the status, 200 [] without, 404 when configured so", async () => {
    const id = await createBatch(sg.emulator);
    expectConforms(SS_ONE, "GET", await call(sg.emulator, "GET", `${SS}/${id}`));
    await send(SS, "POST", SS, { batch_id: id, status: "pause" });
    expectConforms(SS_ONE, "GET", await call(sg.emulator, "GET", `${SS}/${id}`));
    const strict: Emulator = await startEmulator({ singleReadWithoutStatus: "404" });
    try {
      const res = await call(strict, "GET", `${SS}/${await createBatch(strict)}`);
      expect(res.status).toBe(404);
      expectConforms(SS_ONE, "GET", res);
    } finally {
      await strict.close();
    }
  });
});

describe("UpdateScheduledSend (PATCH /v3/user/scheduled_sends/{batch_id})", () => {
  test("204, 404, 400", async () => {
    const id = await createBatch(sg.emulator);
    expectConforms(SS_ONE, "PATCH", await send(SS_ONE, "PATCH", `${SS}/${id}`, { status: "cancel" }));
    await send(SS, "POST", SS, { batch_id: id, status: "pause" });
    expectConforms(SS_ONE, "PATCH", await send(SS_ONE, "PATCH", `${SS}/${id}`, { status: "cancel" }));
    expectConforms(SS_ONE, "PATCH", await call(sg.emulator, "PATCH", `${SS}/${id}`, { body: { status: "nope" } }));
  });
});

describe("DeleteScheduledSend (DELETE /v3/user/scheduled_sends/{batch_id})", () => {
  test("204, 404", async () => {
    const id = await createBatch(sg.emulator);
    await send(SS, "POST", SS, { batch_id: id, status: "cancel" });
    const deleted = await call(sg.emulator, "DELETE", `${SS}/${id}`);
    expect(deleted.status).toBe(204);
    expectConforms(SS_ONE, "DELETE", deleted);
    expectConforms(SS_ONE, "DELETE", await call(sg.emulator, "DELETE", `${SS}/${id}`));
  });
});

describe("SendMail (POST /v3/mail/send)", () => {
  test("202, every 400, 401, 405", async () => {
    const now = await sg.admin.setNow(1_900_000_000);
    const id = await createBatch(sg.emulator);
    expectConforms(SEND, "POST", await send(SEND, "POST", SEND, mail({ batch_id: id, send_at: now + 3600 }, { send_at: now + 7200 })));
    expectConforms(SEND, "POST", await send(SEND, "POST", SEND, mail({ batch_id: "unknownBatch" })));
    expectConforms(SEND, "POST", await send(SEND, "POST", SEND, mail({ send_at: now + 100 * 3600 })));
    // Bodies the spec itself forbids: the emulator must still answer a conforming 400.
    for (const body of [mail({ batch_id: 5 }), mail({ send_at: "soon" }), { personalizations: [] }]) {
      const res = await call(sg.emulator, "POST", SEND, { body });
      expect(res.status).toBe(400);
      expectConforms(SEND, "POST", res);
    }
    expectConforms(SEND, "POST", await send(SEND, "POST", SEND, mail(), { key: null }));
    const wrongMethod = await call(sg.emulator, "GET", SEND);
    expect(wrongMethod.status).toBe(405);
    expectConforms(SEND, "POST", wrongMethod);
  });
});

describe("injected server errors", () => {
  test("a 500 conforms for the Mail Batch, Scheduled Sends (reduced 500 schema) and Mail Send operations", async () => {
    await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["500"] } });
    expectConforms(BATCH, "POST", await call(sg.emulator, "POST", BATCH));
    expectConforms(BATCH_ONE, "GET", await call(sg.emulator, "GET", `${BATCH}/x`));
    expectConforms(SS, "GET", await call(sg.emulator, "GET", SS));
    expectConforms(SS_ONE, "DELETE", await call(sg.emulator, "DELETE", `${SS}/x`));
    expectConforms(SEND, "POST", await call(sg.emulator, "POST", SEND, { body: mail() }));
  });
});
