// Once the Lambda has answered an event, nothing that event started may reach SendGrid (issue 22,
// path 4). The built bundle in one warm container (one process, events in sequence, kept up after
// the last one): an Update paused → active whose DELETE is lost on the way (never forwarded, never
// answered, its connection dropped seconds later) is answered FAILED at the deadline;
// CloudFormation's rollback Update (active → paused) answers SUCCESS; and well past the time the
// first event's client would have retried its DELETE, the batch is still paused, no DELETE ever
// reached SendGrid, nothing reached it after the rollback's answer, and the application's mail on
// the batch is held at its send time. Before the client took the deadline's signal, the retry of
// the abandoned DELETE landed after the rollback: the batch went active and the mail was delivered.

import { SECRET_ARN, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { call, createBatch, mail, setStatus } from "./support/emulatorCalls";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const proxy = useSendGridProxy(sg);
const lambda = useLambdaBundle();

// The function's Timeout per invocation: the work gets 3.75 s of it, the rest is for answering.
const TIMEOUT_MS = 5000;
// The lost DELETE's connection is dropped this long after it arrived (after the first event's
// deadline): a client still trying would see a reset and retry it at once (backoff ≤ 250 ms).
const LOST_FOR_MS = 5000;
// The warm container stays up this long after the rollback's answer: past that retry.
const LINGER_MS = 6000;

afterEach(() => {
  proxy.rules.lose = undefined;
});

test("an Update whose DELETE gets no answer is FAILED at the deadline; after the rollback's SUCCESS nothing of it reaches SendGrid and the held mail stays held", async () => {
  const id = await createBatch(sg.emulator);
  expect((await setStatus(sg.emulator, id, "pause")).status).toBe(201);
  const sendAt = (await sg.admin.now()) + 3600;
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: sendAt }) })).status).toBe(202);
  await sg.admin.clearRequests();

  // Only the first DELETE is lost; anything after it would be forwarded to the emulator.
  let deletes = 0;
  proxy.rules.lose = (req) => (req.method === "DELETE" && ++deletes === 1 ? LOST_FOR_MS : undefined);

  const server = await startResponseServer();
  try {
    const vars = { SECRET_ARN, API_URL: proxy.url, PHYSICAL_ID: id };
    const resume = loadEvent("update-status.json", vars, server.url); // paused → active
    const rollback = loadEvent("update-status.json", vars, server.url);
    rollback.RequestId = "5f0c2b9e-7d41-4e8a-b3c6-2a9d8e7f6c50";
    rollback.ResourceProperties = { ...(resume.OldResourceProperties as Record<string, unknown>) }; // active → paused
    rollback.OldResourceProperties = { ...resume.ResourceProperties };

    const run = await runBundle(lambda.dir, [resume, rollback], { env: awsEnv(lambda.aws), timeoutMs: TIMEOUT_MS, lingerMs: LINGER_MS });
    expect(run.code).toBe(0);
    expect(run.answeredAt).toHaveLength(2);

    // The batch is as CloudFormation's rollback left it, and its mail is held past its send time.
    expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[id, "paused"]]);
    await sg.admin.advanceClock(7200);
    expect((await sg.admin.messages()).map((m) => [m.batch_id, m.fate])).toEqual([[id, "scheduled"]]);

    // No DELETE ever reached SendGrid (the one sent was lost; none was retried), and nothing at all
    // after the rollback's answer, although the process ran on well past the first event's retry.
    const log = (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"));
    expect(log.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(deletes).toBe(1);
    const rollbackAnswered = run.answeredAt[1] as number;
    expect(log.filter((r) => Date.parse(r.time) > rollbackAnswered).map((r) => `${r.method} ${r.route}`)).toEqual([]);

    // One answer per event: the resume FAILED at its deadline, saying its DELETE was abandoned and
    // may have landed; the rollback SUCCESS with the batch paused.
    expect(server.received.map((r) => r.json.Status)).toEqual(["FAILED", "SUCCESS"]);
    const reason = String(server.received[0]?.json.Reason);
    expect(reason).toMatch(/^Timed out: the Update did not finish within 3\.\d s .*; no SendGrid answer yet\./);
    expect(reason).toContain(
      `Stopped at the deadline without an answer: DELETE /v3/user/scheduled_sends/${id}; it may still have reached SendGrid`,
    );
    expect(server.received[1]?.json).toMatchObject({ PhysicalResourceId: id, Data: { BatchId: id, Status: "paused" } });
  } finally {
    await server.close();
  }
});
