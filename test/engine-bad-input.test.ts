// Bad input fails at `pulumi preview`, through the real engine, with a message naming the property
// and the rule, and without a single SendGrid request.
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { ScheduledBatch, type ScheduledBatchArgs } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";

jest.setTimeout(600_000);

const now = Math.floor(Date.now() / 1000);
// [description, args, what the error must say]
const CASES: Array<[string, Record<string, unknown>, RegExp]> = [
  ["status not in the enum", { status: "pause" }, /status must be one of "active", "paused", "cancelled" \(got "pause"\)/],
  ["status in capitals", { status: "PAUSED" }, /status must be one of/],
  ["status as a number", { status: 1 }, /status must be one of/],
  ["status as a boolean", { status: true }, /status must be one of/],
  ["sendAt in milliseconds", { sendAt: now * 1000 }, /looks like milliseconds/],
  ["sendAt fractional", { sendAt: now + 0.5 }, /whole Unix seconds/],
  ["sendAt negative", { sendAt: -5 }, /positive Unix timestamp/],
  ["sendAt prose", { sendAt: "tomorrow" }, /ISO 8601/],
  ["sendAt date only", { sendAt: "2027-01-15" }, /with a zone/],
  ["sendAt without zone", { sendAt: "2027-01-15T10:00:00" }, /with a zone/],
  // Date.parse would roll these over to 2 March and the next day: a send time nobody wrote.
  ["sendAt on 30 February", { sendAt: "2026-02-30T00:00:00Z" }, /not a real date-time: February 2026 has 28 days/],
  ["sendAt at T24:00", { sendAt: "2026-12-01T24:00Z" }, /not a real date-time: the hour must be 00–23/],
  ["sendAt more than 72 h ahead", { sendAt: now + 80 * 3600 }, /more than 72 hours in advance/],
  [
    "pause within 10 minutes of sendAt",
    { status: "paused", sendAt: now + 300 },
    /cannot pause now: SendGrid refuses pause or cancel later than 10 minutes before send_at/,
  ],
  ["cancel after sendAt passed", { status: "cancelled", sendAt: now - 600 }, /cannot cancel now/],
  ["batchId empty", { batchId: "" }, /batchId must be a SendGrid batch id/],
  ["batchId with a space", { batchId: "has space" }, /batchId must be/],
  ["batchId with a leading dash", { batchId: "-abc" }, /batchId must be/],
  ["batchId too long", { batchId: "a".repeat(129) }, /up to 128 characters/],
  ["batchId shorter than SendGrid's ids", { batchId: "x" }, /batchId must be a SendGrid batch id .*at least 16/],
  ["onBehalfOf empty", { onBehalfOf: "" }, /onBehalfOf must be/],
  ["onBehalfOf padded", { onBehalfOf: " sub " }, /without surrounding spaces/],
  ["onBehalfOf header injection", { onBehalfOf: "sub\r\nX-Evil: 1" }, /line breaks/],
  ["region unknown", { region: "us" }, /region must be "global" \(api.sendgrid.com\) or "eu"/],
  ["region in capitals", { region: "EU" }, /region must be/],
  ["apiUrl without scheme", { apiUrl: "api.sendgrid.com" }, /apiUrl must be an absolute URL/],
  ["apiUrl plain http to a remote host", { apiUrl: "http://api.sendgrid.com" }, /http only for a loopback host/],
  ["apiUrl other scheme", { apiUrl: "ftp://127.0.0.1" }, /apiUrl must use https/],
  ["apiUrl with credentials", { apiUrl: "https://user:pw@api.sendgrid.com" }, /must not contain credentials/],
  ["apiUrl with a query", { apiUrl: "https://api.sendgrid.com/?x=1" }, /query or fragment/],
  ["an unknown property (a key passed as input)", { apiKey: "SG.should-not-be-an-input" }, /unknown property "apiKey"/],
];

const sg = useEmulator();
let s: LocalStack;

beforeAll(async () => {
  s = await localStack({
    projectName: "sendgrid-bad-input",
    program: async () => {
      const [, args] = CASES[Number(new pulumi.Config().require("case"))];
      new ScheduledBatch("bad", { apiUrl: sg.url, ...args } as ScheduledBatchArgs);
    },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });
});
afterAll(async () => {
  await s.dispose();
});

test(`each of ${CASES.length} bad inputs fails at preview with its reason and zero SendGrid requests`, async () => {
  const outcomes: string[] = [];
  for (let i = 0; i < CASES.length; i++) {
    const [name, , reason] = CASES[i];
    await s.stack.setConfig("case", { value: String(i) });
    const error = await s.stack.preview().then(
      () => "preview succeeded",
      (e: unknown) => String(e instanceof Error ? e.message : e),
    );
    outcomes.push(`${name}: ${reason.test(error) ? "ok" : `unexpected: ${error.slice(-400)}`}`);
  }
  expect(outcomes).toEqual(CASES.map(([name]) => `${name}: ok`));
  expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"))).toEqual([]);
});

test("a blank API key fails at preview and no request is made", async () => {
  const blank = await localStack({
    projectName: "sendgrid-blank-key",
    program: async () => {
      new ScheduledBatch("b", { apiUrl: sg.url });
    },
    env: { SENDGRID_API_KEY: "   " },
  });
  try {
    await expect(blank.stack.preview()).rejects.toThrow(/the SendGrid API key is blank/);
    expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"))).toEqual([]);
  } finally {
    await blank.dispose();
  }
});

test("a SENDGRID_QUOTA_WAIT_SECONDS that is not 0–600 whole seconds fails at preview, naming the variable, the value and the range; no request is made", async () => {
  const wait = await localStack({
    projectName: "sendgrid-bad-quota-wait",
    program: async () => {
      new ScheduledBatch("b", { status: "paused", apiUrl: sg.url });
    },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });
  try {
    const outcomes: string[] = [];
    for (const value of ["-1", "abc", "1e9", "60s", "off", "999999"]) {
      wait.stack.workspace.envVars.SENDGRID_QUOTA_WAIT_SECONDS = value;
      const error = await wait.stack.preview().then(
        () => "preview succeeded",
        (e: unknown) => String(e instanceof Error ? e.message : e),
      );
      const said = `SENDGRID_QUOTA_WAIT_SECONDS must be a whole number of seconds from 0 to 600`;
      outcomes.push(
        `${value}: ${error.includes(said) && error.includes(`got ${JSON.stringify(value)}`) ? "ok" : `unexpected: ${error.slice(-400)}`}`,
      );
    }
    expect(outcomes).toEqual(["-1: ok", "abc: ok", "1e9: ok", "60s: ok", "off: ok", "999999: ok"]);
    expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"))).toEqual([]);
  } finally {
    await wait.dispose();
  }
});
