// An operation that throws past its own error handling is still answered, exactly once (issue 22,
// Also (c)): the handler's safe wrapper turns the throw into one FAILED answer, writes the event's
// log line and resolves, and the warm container answers its next event as usual. The throw comes
// from a property shape deep inside the properties' checks: a Status nested thousands of arrays
// deep (valid JSON of a few kilobytes) overflows the stack where the value is described, before
// any operation's try/catch. A handler that re-threw the error would leave CloudFormation without
// an answer (it waits for the whole ServiceTimeout).

import { MARKER, SECRET_ARN, STACK_ID, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { createBatch } from "./support/emulatorCalls";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const lambda = useLambdaBundle();

// A JSON value nested 20,000 arrays deep (40 KB): JSON.parse reads it, JSON.stringify overflows
// the stack on it. It goes into the event's text in place of this placeholder.
const DEEP = "<a Status 20,000 arrays deep>";
const deepStatusJson = `${"[".repeat(20_000)}"paused"${"]".repeat(20_000)}`;

test("Create, Update and Delete whose properties make the checks throw each get exactly one FAILED answer; the warm container then answers a valid Create", async () => {
  const id = await createBatch(sg.emulator);
  await sg.admin.clearRequests();
  const server = await startResponseServer();
  try {
    const vars = { SECRET_ARN, API_URL: sg.url, PHYSICAL_ID: id };
    const thrown = ["create.json", "update-status.json", "delete.json"].map((fixture, i) => {
      const event = loadEvent(fixture, vars, server.url);
      event.RequestId = `3b7e2c1d-5a4f-4e6b-9c8d-00000000000${i}`;
      event.ResourceProperties.Status = DEEP;
      return event;
    });
    const valid = loadEvent("create.json", vars, server.url);
    const run = await runBundle(lambda.dir, [...thrown, valid], {
      env: awsEnv(lambda.aws),
      editJson: (text) => text.replaceAll(JSON.stringify(DEEP), deepStatusJson),
    });

    // The handler resolved for every event (the runner exits 1 when it rejects).
    expect(run.stderr).toMatch(/RUNNER: done/);
    expect(run.code).toBe(0);
    // One answer per event, in order: no event unanswered, none answered twice.
    expect(server.received.map((r) => [r.json.RequestId, r.json.Status])).toEqual([
      ...thrown.map((e) => [e.RequestId, "FAILED"]),
      [valid.RequestId, "SUCCESS"],
    ]);
    const [create, update, del] = server.received.map((r) => r.json);
    expect(create).toMatchObject({ PhysicalResourceId: MARKER, StackId: STACK_ID });
    expect(update).toMatchObject({ PhysicalResourceId: id });
    expect(del).toMatchObject({ PhysicalResourceId: id });
    for (const answer of [create, update, del]) {
      expect(String(answer?.Reason)).toMatch(/^Unexpected error: Maximum call stack size exceeded \(log stream \S+\)$/);
    }
    // Each event wrote its one log line, the thrown ones as errors.
    expect(run.logLines.map((l) => [l.level, (l.outcome as { action?: string } | undefined)?.action])).toEqual([
      ["error", "threw"],
      ["error", "threw"],
      ["error", "threw"],
      ["info", "created"],
    ]);
    expect(run.logLines[0]).toMatchObject({ properties: { Status: "<array that cannot be serialised>" } });
    // Nothing of the thrown events reached SendGrid: only the valid (paused) Create's two requests.
    expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route}`)).toEqual([
      "POST /v3/mail/batch",
      "POST /v3/user/scheduled_sends",
    ]);
    expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toContainEqual([id, "active"]);
  } finally {
    await server.close();
  }
});
