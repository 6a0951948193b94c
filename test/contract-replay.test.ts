// The emulator held to the newest recording in test/fixtures/sendgrid/recorded (a real SendGrid
// recording when one exists, else the one the recorder made against the emulator): every request
// replayed gets the same status, the same body shape and the same message text.

import { DEFAULT_EMULATOR_API_KEY, DEFAULT_SUBUSERS, type Emulator, startEmulator } from "../emulator";
import { newestRecording, type Recording } from "../scripts/live/recording";
import { contractDifferences, type Difference, differenceTable, replay, settingsFor } from "../scripts/live/replay";
import { RECORDED_DIR } from "../scripts/live/run";

const { file, recording } = newestRecording(RECORDED_DIR);

async function replayOn(rec: Recording, settings: Recording["emulator"]): Promise<Difference[]> {
  const emulator: Emulator = await startEmulator(settings);
  try {
    return await replay(rec, { url: emulator.url, apiKey: DEFAULT_EMULATOR_API_KEY, onBehalfOf: DEFAULT_SUBUSERS[0] });
  } finally {
    await emulator.close();
  }
}

const copy = (): Recording => JSON.parse(JSON.stringify(recording)) as Recording;
const indexOf = (rec: Recording, step: string, method: string) => rec.exchanges.findIndex((e) => e.step === step && e.method === method);

test(`the emulator reproduces the newest recording (${file.split("/").pop()})`, async () => {
  expect(recording.format).toBe(1);
  if (recording.madeAgainst === "emulator") expect(recording.note).toMatch(/not against SendGrid/);
  expect(recording.exchanges.length).toBeGreaterThan(30);
  const differences = contractDifferences(await replayOn(recording, recording.emulator));
  if (differences.length) throw new Error(`the emulator differs from ${file}:\n${differenceTable(differences)}`);
});

test("a recorded message, status or body the emulator does not give is a difference", async () => {
  const rec = copy();
  const exists = indexOf(rec, "POST a status over a status", "POST");
  rec.exchanges[exists].body = { errors: [{ field: "batch_id", message: "status already exists" }] };
  const read = indexOf(rec, "read paused", "GET");
  rec.exchanges[read].body = [{ batch_id: "{batch:1}", status: "cancel" }];
  const create = indexOf(rec, "create active", "POST");
  rec.exchanges[create].status = 200;
  const differences = await replayOn(rec, rec.emulator);
  const expected: Array<[number, string]> = [
    [create, "status"],
    [exists, "message"],
    [read, "body"],
  ];
  expect(differences.map((d) => [d.index, d.kind])).toEqual(expected.sort((a, b) => a[0] - b[0]));
});

test("a recording that disagrees on undocumented cases is matched by the emulator's switches, without code changes", async () => {
  const rec = copy();
  const notFound = { errors: [{ field: null, message: "batch id not found" }] };
  for (const e of rec.exchanges) {
    if (e.case === "samePatch")
      Object.assign(e, { status: 400, body: { errors: [{ field: "status", message: "status is already set" }] } });
    // A SendGrid that answers a single read without status with 404 does so on every such read.
    const singleRead = e.method === "GET" && e.route === "/v3/user/scheduled_sends/{batch_id}";
    if (singleRead && Array.isArray(e.body) && e.body.length === 0) Object.assign(e, { status: 404, body: notFound });
    if (e.case === "malformedId.read") Object.assign(e, { status: 404, body: notFound });
    if (e.case === "malformedId.validate") Object.assign(e, { status: 404, body: { errors: [{ field: null, message: "not found" }] } });
  }
  const before = contractDifferences(await replayOn(rec, {}));
  expect(new Set(before.map((d) => d.case ?? `${d.method} ${d.route}`))).toEqual(
    new Set(["samePatch", "readWithoutStatus", "malformedId.read", "malformedId.validate", "GET /v3/user/scheduled_sends/{batch_id}"]),
  );

  const settings = settingsFor(rec, before);
  expect(settings).toEqual({
    singleReadWithoutStatus: "404",
    undocumented: {
      samePatch: { status: 400, body: { errors: [{ field: "status", message: "status is already set" }] } },
      "malformedId.read": { status: 404, body: notFound },
      "malformedId.validate": { status: 404, body: { errors: [{ field: null, message: "not found" }] } },
    },
  });
  expect(contractDifferences(await replayOn(rec, settings))).toEqual([]);
});
