// Every flag of the built `sendgrid-batches` bin is checked before anything is read or sent
// (issue 9, path 2): `--margin abc` was NaN, which made a cancelled batch whose mail is still ahead
// "clearable", and clearing it releases the mail. A bad command line, an unreadable or non-JSON
// --state file ends with exit 2 and a clear message: no stack trace, no unhandled rejection, no
// SendGrid request.

import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SendGridBatchClient, createBatch } from "../core";
import { parseCommandLine } from "../cli/args";
import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";

const sg = useEmulator();
let client: SendGridBatchClient;
beforeAll(() => {
  client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url });
});
beforeEach(() => sg.admin.reset());

const sendgridRequests = async () => (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"));
const STACK_TRACE = /^\s+at .+\(.*:\d+:\d+\)$/m;

test("clear-cancelled --margin abc releases nothing: exit 2, the usage, zero requests, the batch and its mail still held", async () => {
  const now = Math.floor(Date.now() / 1000);
  const b = await createBatch(client, "cancelled");
  await sg.admin.seedMessage({ batch_id: b.batchId, send_at: now + 3600, to: ["reader@example.com"], subject: "held" });
  const state = tempFile("stack.json", stackExport([{ id: b.batchId, sendAt: now + 3600, status: "cancelled" }]));
  await sg.admin.clearRequests();

  for (const margin of ["abc", "-5", "1.5", "1e3", "0x10", " 60", "Infinity"]) {
    const r = await runBatchesBin(["clear-cancelled", "--yes", "--state", state, "--api-url", sg.url, `--margin=${margin}`]);
    expect({ margin, code: r.code }).toEqual({ margin, code: 2 });
    expect(r.stderr).toContain(`--margin must be a non-negative whole number of seconds (got ${JSON.stringify(margin)})`);
    expect(r.stderr).toContain("Usage:");
    expect(r.stderr).not.toMatch(STACK_TRACE);
  }
  expect(await sendgridRequests()).toEqual([]);
  expect((await sg.admin.batches()).find((x) => x.batch_id === b.batchId)?.status).toBe("cancelled");

  // A valid margin still decides by the send time: the mail is ahead, so nothing is cleared.
  const ok = await runBatchesBin(["clear-cancelled", "--yes", "--state", state, "--api-url", sg.url, "--margin", "0"]);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/send time not yet passed[\s\S]*nothing to clear/);
  expect((await sendgridRequests()).filter((r) => r.method === "DELETE")).toEqual([]);
});

test.each([
  ["an unknown flag", ["list", "--marign", "5"], /Unknown option '--marign'/],
  ["a flag without its value", ["list", "--state"], /argument missing/],
  ["a value that looks like a flag", ["list", "--margin", "-5"], /ambiguous/],
  ["a value given to a boolean", ["clear-cancelled", "--yes=no"], /does not take an argument/],
  ["an empty value", ["list", "--state="], /--state needs a value/],
  ["a repeated single-value flag", ["list", "--margin", "1", "--margin", "2"], /--margin may be given once/],
  ["a flag of another command", ["list", "--clear"], /--clear is not an option of `list`/],
  ["--margin on orphans", ["orphans", "--margin", "5", "--state", "x.json"], /--margin is not an option of `orphans`/],
  ["an unknown command", ["clear"], /unknown command "clear"/],
  ["no command", [], /no command given/],
  ["an extra argument", ["list", "now"], /unexpected argument "now"/],
  ["a bad region", ["list", "--region", "mars"], /--region must be "global" or "eu"/],
  ["an apiUrl with a path", ["list", "--api-url", "http://127.0.0.1:9/v3"], /--api-url: apiUrl must be an origin/],
  ["a bad on-behalf-of", ["list", "--on-behalf-of", " sub "], /--on-behalf-of: onBehalfOf must be/],
  // The client would use --api-url and ignore --region: the EU account asked for would never be read.
  [
    "--region eu with --api-url of the emulator",
    ["list", "--region", "eu"],
    /--region eu and --api-url http:\/\/127\.0\.0\.1:\d+ disagree/,
  ],
  [
    "--region eu with the global host as --api-url",
    ["clear-cancelled", "--yes", "--region", "eu", "--api-url", "https://api.sendgrid.com"],
    /--region eu and --api-url https:\/\/api\.sendgrid\.com disagree: requests would go to https:\/\/api\.sendgrid\.com, not to the eu host https:\/\/api\.eu\.sendgrid\.com/,
  ],
  ["a bad --sent", ["list", "--sent", "nonsense"], /--sent nonsense: expected ID=TIME/],
  [
    "one batch given twice with different --sent times (the order of the flags would decide)",
    ["clear-cancelled", "--yes", "--sent", "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi=1000", "--sent", "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi=2000"],
    /--sent HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi is given twice with different times: give it once, with the latest send time/,
  ],
  ["--trust-sent without --sent", ["clear-cancelled", "--yes", "--trust-sent"], /--trust-sent needs --sent ID=TIME/],
  ["--trust-sent on orphans", ["orphans", "--trust-sent", "--state", "x.json"], /--trust-sent is not an option of `orphans`/],
  [
    "a --sent on 30 February (Date.parse makes it 2 March)",
    ["clear-cancelled", "--yes", "--sent", "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi=2026-02-30T00:00:00Z"],
    /--sent HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi=2026-02-30T00:00:00Z: expected ID=TIME \(.*not a real date-time: February 2026 has 28 days/,
  ],
  [
    "a --sent at T24:00 (Date.parse makes it the next day)",
    ["clear-cancelled", "--yes", "--sent", "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi=2026-03-01T24:00Z"],
    /not a real date-time: the hour must be 00–23 \(got 24/,
  ],
  ["orphans --clear without --state", ["orphans", "--clear", "--yes"], /orphans --clear needs at least one --state FILE/],
])("%s: exit 2 with a clear message, no stack trace, no request", async (_name, args, message) => {
  const r = await runBatchesBin([...(args.includes("--api-url") ? [] : [`--api-url=${sg.url}`]), ...args]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(STACK_TRACE);
  expect(r.stderr).not.toMatch(/UnhandledPromiseRejection|ERR_PARSE_ARGS/);
  expect(await sendgridRequests()).toEqual([]);
});

test("--region eu with --api-url of the EU host itself is the same place, and accepted", () => {
  for (const url of ["https://api.eu.sendgrid.com", "https://api.eu.sendgrid.com/", "https://api.eu.sendgrid.com."]) {
    const parsed = parseCommandLine(["list", "--region", "eu", "--api-url", url]);
    expect(parsed).toMatchObject({ ok: true, options: { region: "eu" } });
  }
});

test.each([
  ["a missing file", () => "/nonexistent/stack.json", /cannot read --state \/nonexistent\/stack\.json \(ENOENT\)/],
  ["a file that is not JSON", () => tempFile("stack.json", "Current stack is dev:\n  Owner: me"), /--state .*stack\.json is not JSON/],
  ["JSON that is not a stack export", () => tempFile("stack.json", { resources: [] }), /is not a `pulumi stack export` document/],
  ["a directory", () => tempFile("stack.json", "{}").replace(/stack\.json$/, ""), /cannot read --state .* \(EISDIR\)/],
])("%s as --state: exit 2 with a clear message, no request", async (_name, file, message) => {
  for (const command of ["list", "clear-cancelled", "orphans"]) {
    const r = await runBatchesBin([command, "--state", file(), "--api-url", sg.url]);
    expect({ command, code: r.code }).toEqual({ command, code: 2 });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK_TRACE);
  }
  expect(await sendgridRequests()).toEqual([]);
});

test("--help prints the usage and exits 0; the usage says orphans clears only what the journal proves ours, never by absence from state", async () => {
  const r = await runBatchesBin(["--help"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/sendgrid-batches orphans/);
  expect(r.stdout).toMatch(/--clear frees the slots of the batches\s+marked ours only/);
  expect(r.stdout).toMatch(/absent from every export too, and clearing it would send its mail/);
  expect(r.stdout).toMatch(/--journal FILE/);
});
