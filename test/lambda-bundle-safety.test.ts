// The built Lambda bundle, each event in a fresh Node process (issue 9, smaller Lambda defects):
// - a ResponseURL that cannot receive the answer (malformed, or http to a non-loopback host) is
//   found before any work: the event is logged and dropped, no secret read, no SendGrid request;
// - a server that echoes the Authorization header in its error body does not get the API key
//   into CloudFormation's Reason (nor the log);
// - a partial Secrets Manager ARN (without the 6-character suffix) is refused before any read.

import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { type LocalServer, serveLocally } from "../scripts/lib/localServer";
import { SECRET_ARN, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });
const lambda = useLambdaBundle();

afterAll(async () => {});

const sendgridRequests = async () => (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"));

describe("a ResponseURL that cannot take the answer is caught before any work", () => {
  test.each([
    ["not a URL", "not a url at all", "ResponseURL is not a URL"],
    [
      "http to a remote host",
      "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc",
      "ResponseURL must be https",
    ],
    ["another scheme", "ftp://127.0.0.1/answer", "ResponseURL must be https"],
    ["a file URL", "file:///tmp/answer", "ResponseURL must be https"],
  ])("%s: logged and dropped, zero secret reads and SendGrid requests, the handler resolves", async (_name, url, reason) => {
    for (const fixture of ["create.json", "delete.json"]) {
      const event = loadEvent(fixture, { SECRET_ARN, API_URL: sg.url, PHYSICAL_ID: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi" }, url);
      const awsBefore = lambda.aws.calls.length;
      const run = await runBundle(lambda.dir, event, { env: awsEnv(lambda.aws) });
      expect(run.stderr).toMatch(/RUNNER: done/); // resolved, not rejected
      expect(run.code).toBe(0);
      expect(run.logLines).toHaveLength(1);
      expect(run.logLines[0]).toMatchObject({ level: "error", outcome: { action: "ignored" } });
      expect(String((run.logLines[0]?.outcome as { reason?: string } | undefined)?.reason)).toContain(reason);
      expect(run.stdout).not.toContain("X-Amz-Signature=abc");
      expect(lambda.aws.calls.length).toBe(awsBefore);
    }
    expect(await sendgridRequests()).toEqual([]);
  });

  test("loopback http is still answered (the local harness)", async () => {
    const server = await startResponseServer();
    try {
      const run = await runBundle(lambda.dir, loadEvent("create.json", { SECRET_ARN, API_URL: sg.url }, server.url), {
        env: awsEnv(lambda.aws),
      });
      expect(run.code).toBe(0);
      expect(server.received).toHaveLength(1);
      expect(server.received[0]?.json).toMatchObject({ Status: "SUCCESS" });
    } finally {
      await server.close();
    }
  });
});

/** A "SendGrid" that answers every request 400 with the Authorization header in its message. */
function echoingServer(shape: (auth: string) => string): Promise<LocalServer> {
  return serveLocally((req, _body, res) => {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ field: null, message: shape(String(req.headers.authorization ?? "")) }] }));
  });
}

describe("the API key never reaches CloudFormation's Reason", () => {
  const [, keyId, keySecret] = DEFAULT_EMULATOR_API_KEY.split(".");
  test.each([
    ["the whole header", (auth: string) => `malformed request: header Authorization="${auth}" is not accepted`],
    ["the key without its prefix", (auth: string) => `unknown key ${auth.replace(/^Bearer SG\./, "")}`],
    ["only the key's secret part", (auth: string) => `token part ${auth.split(".").pop()} rejected`],
  ])("a server echoing %s in an error body: the Reason says <redacted>", async (_name, shape) => {
    const echo = await echoingServer(shape);
    const server = await startResponseServer();
    try {
      const run = await runBundle(lambda.dir, loadEvent("create.json", { SECRET_ARN, API_URL: echo.url }, server.url), {
        env: awsEnv(lambda.aws),
      });
      expect(run.code).toBe(0);
      expect(server.received).toHaveLength(1);
      const body = server.received[0]?.json as { Status: string; Reason: string };
      expect(body.Status).toBe("FAILED");
      expect(body.Reason).toMatch(/^SendGrid POST \/v3\/mail\/batch failed: 400 .*<redacted>/);
      const everything = `${server.received[0]?.bytes.toString("utf8")}\n${run.stdout}\n${run.stderr}`;
      for (const secret of [DEFAULT_EMULATOR_API_KEY, keyId as string, keySecret as string]) expect(everything).not.toContain(secret);
    } finally {
      await server.close();
      await echo.close();
    }
  });
});

test("a partial Secrets Manager ARN (no 6-character suffix) fails before any secret read or SendGrid request", async () => {
  const server = await startResponseServer();
  try {
    const partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key";
    const awsBefore = lambda.aws.calls.length;
    const run = await runBundle(lambda.dir, loadEvent("create.json", { SECRET_ARN: partial, API_URL: sg.url }, server.url), {
      env: awsEnv(lambda.aws),
    });
    expect(run.code).toBe(0);
    expect(server.received[0]?.json).toMatchObject({
      Status: "FAILED",
      Reason: expect.stringMatching(
        /^Invalid properties: ApiKeySecretArn must be the full ARN of a Secrets Manager secret, ending in the 6 characters/,
      ),
    });
    expect(lambda.aws.calls.length).toBe(awsBefore);
    expect(await sendgridRequests()).toEqual([]);
  } finally {
    await server.close();
  }
});
