// The client's AbortSignal (ClientOptions.signal, what the Lambda aborts at its deadline), over real
// HTTP: the request in flight is abandoned, no retry, rate-limit wait or quota wait starts or goes
// on after the abort, and the call fails with ABORTED, saying whether a request was in flight. The
// waits below are the real ones (no injected sleep): a wait that ignored the abort would outlast
// the test.

import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SendGridBatchClient, SendGridError, clientFor, type AttemptInfo } from "../core";
import { useEmulator } from "./support/emulator";
import { call, createBatch, setStatus } from "./support/emulatorCalls";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(20_000);

const sg = useEmulator({ resetBeforeEach: true });
const proxy = useSendGridProxy(sg);

afterEach(() => {
  proxy.rules.lose = undefined;
});

function abortingClient(url: string, abortWhen: (a: AttemptInfo) => boolean) {
  const controller = new AbortController();
  const attempts: AttemptInfo[] = [];
  const client = new SendGridBatchClient(
    { apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: url },
    {
      signal: controller.signal,
      retry: { maxRateLimitWaitMs: 60_000, maxQuotaWaitMs: 60_000, timeoutMs: 15_000 },
      onAttempt: (a) => {
        attempts.push(a);
        if (abortWhen(a)) setTimeout(() => controller.abort(), 50);
      },
    },
  );
  return { client, controller, attempts };
}

const failure = (p: Promise<unknown>): Promise<SendGridError> =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (err: unknown) => {
      if (!(err instanceof SendGridError)) throw err;
      return err;
    },
  );

const v3 = async () => (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"));

test("a request without an answer is abandoned at the abort: ABORTED, 'may still have reached SendGrid', and never retried", async () => {
  const id = await createBatch(sg.emulator);
  await setStatus(sg.emulator, id, "pause");
  await sg.admin.clearRequests();
  let sent = 0;
  const { client, controller, attempts } = abortingClient(proxy.url, () => false);
  // Lost, then its connection dropped: a client still trying would retry at once. The caller
  // stops waiting once the request is out.
  proxy.rules.lose = () => {
    sent += 1;
    setTimeout(() => controller.abort(), 100);
    return 1500;
  };
  const err = await failure(client.clearStatus(id));
  expect(err.code).toBe("ABORTED");
  expect(err.message).toBe(
    `SendGrid DELETE /v3/user/scheduled_sends/${id} was abandoned without an answer: the caller stopped waiting. The request may still have reached SendGrid: read the batch's status before relying on it`,
  );
  expect(attempts.map((a) => a.error)).toEqual(["ABORTED"]);
  // Past the moment the lost connection is dropped (when a retry would go out): still the one request.
  await new Promise((r) => setTimeout(r, 2000));
  expect(sent).toBe(1);
  expect(await v3()).toEqual([]);
  expect((await sg.admin.batches()).map((b) => b.status)).toEqual(["paused"]);
});

test("an abort during a rate-limit wait ends the wait: ABORTED, nothing sent after the 429", async () => {
  await sg.admin.configure({ rateLimit: { limit: 1, windowSeconds: 60 } });
  const id = await createBatch(sg.emulator);
  // The minute's one GET of the endpoint, used up by someone else.
  expect((await call(sg.emulator, "GET", `/v3/user/scheduled_sends/${id}`)).status).toBe(200);
  await sg.admin.clearRequests();
  const { client, attempts } = abortingClient(sg.url, (a) => a.status === 429);
  const err = await failure(client.getStatus(id));
  expect(err.code).toBe("ABORTED");
  expect(err.message).toMatch(
    /^SendGrid GET \/v3\/user\/scheduled_sends\/\S+ was not sent: the caller stopped waiting before it \(or its retry\) could start/,
  );
  expect(attempts.map((a) => a.status)).toEqual([429]);
  expect((await v3()).map((r) => r.status)).toEqual([429]);
});

test("an abort during a quota wait ends the wait: ABORTED, no pause sent after it, nothing changed", async () => {
  await sg.admin.configure({ maxPausedOrCancelled: 1 });
  const other = await createBatch(sg.emulator);
  await setStatus(sg.emulator, other, "pause");
  const id = await createBatch(sg.emulator);
  await sg.admin.clearRequests();
  const { client, attempts } = abortingClient(sg.url, (a) => a.status === 400);
  const err = await failure(client.createStatus(id, "pause"));
  expect(err.code).toBe("ABORTED");
  const refused = attempts.length;
  expect(refused).toBeGreaterThanOrEqual(1);
  expect(attempts.every((a) => a.status === 400)).toBe(true);
  await new Promise((r) => setTimeout(r, 1500)); // longer than any step of the quota poll
  expect((await v3()).map((r) => `${r.method} ${r.status}`)).toEqual(Array(refused).fill("POST 400"));
  expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([
    [other, "paused"],
    [id, "active"],
  ]);
});

test("a signal aborted before the call sends nothing, and such a client is never the shared one", async () => {
  const id = await createBatch(sg.emulator);
  await sg.admin.clearRequests();
  const controller = new AbortController();
  controller.abort();
  const settings = { apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url };
  const aborted = clientFor(settings, { signal: controller.signal });
  expect(aborted).not.toBe(clientFor(settings));
  expect(clientFor(settings, { signal: controller.signal })).not.toBe(aborted);
  expect((await failure(aborted.clearStatus(id))).code).toBe("ABORTED");
  expect(await v3()).toEqual([]);
  // (another endpoint than the rate-limit test's, whose window that test used up)
  expect(await clientFor(settings).validateBatchId(id)).toBe(true);
});
