// The plugin executable over gRPC, as the engine drives it (no engine here): the Read-without-
// properties shim that makes `pulumi import` work, the provider-config RPCs the SDK's server
// lacks (CheckConfig, DiffConfig with replaces, Configure), Delete near send_at, and the schema.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { ACCOUNT_PROPERTIES, ADOPTED_OUTPUT, API_KEY_PROPERTY, BATCH_PROPERTIES, RESOURCE_PROPERTIES, type PropertySpec } from "../core";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { createBatch as createRawBatch } from "./support/emulatorCalls";
import { startSendGridProxy } from "./support/sendgridProxy";
import { REPO_ROOT, ensurePulumiCli } from "../scripts/lib/engine";

jest.setTimeout(120_000);

const sg = useEmulator();
const BIN = path.join(REPO_ROOT, "bin", "pulumi-resource-sendgrid-batch");
const URN = "urn:pulumi:dev::proj::sendgrid-batch:index:ScheduledBatch::b";
let child: ChildProcess | undefined;
let client: ResourceProviderClient;

/** One plugin process (one provider instance: Configure once, as the engine does). */
async function startPlugin(): Promise<{ child: ChildProcess; client: ResourceProviderClient }> {
  const proc = spawn(BIN, [], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
  });
  const port = await new Promise<string>((resolve, reject) => {
    proc.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
    proc.once("exit", (code) => reject(new Error(`plugin exited with ${code}`)));
  });
  return { child: proc, client: new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) };
}

beforeAll(async () => {
  ({ child, client } = await startPlugin());
});
afterAll(() => {
  client?.close();
  child?.kill();
});

type Done<Res> = (err: grpc.ServiceError | null, res: Res) => void;
function rpc<Res>(send: (done: Done<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => send((err, res) => (err ? reject(err) : resolve(res))));
}
const struct = (v: Record<string, unknown>) => Struct.fromJavaScript(v as Parameters<typeof Struct.fromJavaScript>[0]);

async function configure(vars: Record<string, string>, to: ResourceProviderClient = client): Promise<void> {
  const req = new provproto.ConfigureRequest();
  for (const [k, v] of Object.entries(vars)) req.getVariablesMap().set(k, v);
  await rpc<provproto.ConfigureResponse>((done) => to.configure(req, done));
}

async function diffConfig(olds: Record<string, unknown>, news: Record<string, unknown>) {
  const req = new provproto.DiffRequest();
  req.setUrn("urn:pulumi:dev::proj::pulumi:providers:sendgrid-batch::p");
  req.setOlds(struct(olds));
  req.setNews(struct(news));
  const res = await rpc<provproto.DiffResponse>((done) => client.diffConfig(req, done));
  const kinds: Record<string, number> = {};
  res.getDetaileddiffMap().forEach((d, k) => {
    kinds[k] = d.getKind();
  });
  return { changes: res.getChanges(), replaces: res.getReplacesList(), kinds };
}

test("the SDK's server still cannot read a Read request without properties (why the shim exists)", () => {
  // When this fails, @pulumi/pulumi handles it: drop allowReadWithoutProperties (plugin/sdkServer.ts).
  expect(new provproto.ReadRequest().getProperties()).toBeUndefined();
});

test("a Read with only an id, as `pulumi import` sends it, adopts the batch", async () => {
  await sg.admin.reset();
  await configure({ "sendgrid-batch:config:apiUrl": sg.url });
  const made = await fetch(`${sg.url}/v3/mail/batch`, { method: "POST", headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` } });
  const { batch_id } = (await made.json()) as { batch_id: string };
  await sg.admin.clearRequests();

  const req = new provproto.ReadRequest();
  req.setId(batch_id);
  req.setUrn(URN);
  expect(req.hasProperties()).toBe(false);
  const res = await rpc<provproto.ReadResponse>((done) => client.read(req, done));
  expect(res.getId()).toBe(batch_id);
  expect(res.getProperties()?.toJavaScript()).toEqual({ batchId: batch_id, status: "active", adopted: true, __handed: expect.any(String) });
  expect(res.getInputs()?.toJavaScript()).toEqual({ batchId: batch_id, status: "active" });
  expect(await takeSendGridCalls(sg.admin)).toEqual(["GET /v3/user/scheduled_sends/{batch_id}", "GET /v3/mail/batch/{batch_id}"]);
});

test("Delete passes the declared sendAt: a cancel refused 5 minutes before it says too late, whatever SendGrid's words", async () => {
  await sg.admin.reset();
  // SendGrid documents no message for this refusal: reword every 400 of a status change.
  const refusal = "This scheduled send can no longer be modified";
  const proxy = await startSendGridProxy(sg.url);
  proxy.rules.rewrite = (req, res) =>
    res.status === 400 && req.path.startsWith("/v3/user/scheduled_sends")
      ? JSON.stringify({ errors: [{ field: null, message: refusal }] })
      : res.body;
  const plugin = await startPlugin();
  try {
    await configure({ "sendgrid-batch:config:apiUrl": proxy.url }, plugin.client);
    const id = await createRawBatch(sg.emulator);
    const sendAt = (await sg.admin.now()) + 300;
    await sg.admin.seedMessage({ batch_id: id, send_at: sendAt, to: ["ada@example.com"] });
    await sg.admin.clearRequests();

    const remove = (declared: number) => {
      const req = new provproto.DeleteRequest();
      req.setId(id);
      req.setUrn(URN);
      req.setProperties(struct({ batchId: id, status: "active", adopted: false, sendAt: declared }));
      return rpc<unknown>((done) => plugin.client.delete(req, done)).then(
        () => "deleted",
        (err: grpc.ServiceError) => err.details,
      );
    };
    // Declared an hour ahead: nothing says it is too late, so SendGrid's refusal stands as it is.
    const far = await remove(sendAt + 3600);
    expect(far).toContain(`400 ${refusal}`);
    expect(far).not.toMatch(/10 minutes/);
    // Declared 5 minutes ahead: the refusal is SendGrid's 10-minute cut-off, and the message says what it means.
    const near = await remove(sendAt);
    expect(near).toContain(refusal);
    expect(near).toMatch(
      /The declared send time \(.*\) is [45] min away: SendGrid refuses pause or cancel later than 10 minutes before send_at/,
    );
    // Two refused cancels, each told by the account's list (a free slot: not the quota, which would
    // wait for a slot); nothing else written; the batch keeps its status.
    expect(await takeSendGridCalls(sg.admin)).toEqual([
      "POST /v3/user/scheduled_sends",
      "GET /v3/user/scheduled_sends",
      "POST /v3/user/scheduled_sends",
      "GET /v3/user/scheduled_sends",
    ]);
    expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[id, "active"]]);
  } finally {
    plugin.client.close();
    plugin.child.kill();
    await proxy.close();
  }
});

test("DiffConfig: another account (host or subuser) replaces, a respelled account or a new key does not", async () => {
  const { DIFF_NONE, DIFF_SOME } = provproto.DiffResponse.DiffChanges;
  const { ADD_REPLACE, UPDATE_REPLACE, UPDATE } = provproto.PropertyDiff.Kind;
  const base = { apiUrl: sg.url, apiKey: "SG.one" };
  expect(await diffConfig(base, { ...base, onBehalfOf: "subuser-a" })).toEqual({
    changes: DIFF_SOME,
    replaces: ["onBehalfOf"],
    kinds: { onBehalfOf: ADD_REPLACE },
  });
  expect(await diffConfig(base, { ...base, apiUrl: sg.url.replace("127.0.0.1", "localhost") })).toEqual({
    changes: DIFF_SOME,
    replaces: ["apiUrl"],
    kinds: { apiUrl: UPDATE_REPLACE },
  });
  expect(await diffConfig({ region: "global" }, { region: "eu" })).toMatchObject({ replaces: ["region"] });
  // The same account, spelled differently: the core's accountKey says equal, so no replace.
  expect(await diffConfig(base, { ...base, apiUrl: `${sg.url}/` })).toEqual({
    changes: DIFF_SOME,
    replaces: [],
    kinds: { apiUrl: UPDATE },
  });
  // A host spelled with its trailing dot is the same host.
  expect(await diffConfig({ apiUrl: "https://api.sendgrid.com" }, { apiUrl: "https://api.sendgrid.com." })).toEqual({
    changes: DIFF_SOME,
    replaces: [],
    kinds: { apiUrl: UPDATE },
  });
  expect(await diffConfig({}, { region: "global" })).toEqual({ changes: DIFF_SOME, replaces: [], kinds: { region: 0 } });
  expect(await diffConfig(base, { ...base, apiKey: "SG.two" })).toEqual({ changes: DIFF_SOME, replaces: [], kinds: { apiKey: UPDATE } });
  expect(await diffConfig(base, base)).toEqual({ changes: DIFF_NONE, replaces: [], kinds: {} });
});

test("CheckConfig applies the core's rules to the provider's configuration", async () => {
  const req = new provproto.CheckRequest();
  req.setUrn("urn:pulumi:dev::proj::pulumi:providers:sendgrid-batch::p");
  req.setOlds(struct({}));
  req.setNews(struct({ region: "mars", apiUrl: "http://example.com", onBehalfOf: " x", apikey: "typo", version: "0.1.0" }));
  const res = await rpc<provproto.CheckResponse>((done) => client.checkConfig(req, done));
  const failures = res.getFailuresList().map((f) => [f.getProperty(), f.getReason()]);
  expect(failures.map(([p]) => p).sort()).toEqual(["apiUrl", "apikey", "onBehalfOf", "region"]);
  expect(Object.fromEntries(failures).apiUrl).toMatch(/http only for a loopback host/);
  expect(Object.fromEntries(failures).apikey).toMatch(/unknown configuration key "sendgrid-batch:apikey"/);
});

test("`pulumi package get-schema` reads the schema from the executable; every property is described", () => {
  const out = execFileSync(path.join(ensurePulumiCli(), "pulumi"), ["package", "get-schema", BIN], {
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    maxBuffer: 16 * 1024 * 1024,
  }).toString();
  const schema = JSON.parse(out);
  expect(schema.name).toBe("sendgrid-batch");
  const resource = schema.resources["sendgrid-batch:index:ScheduledBatch"];
  // The property table's: the resource's own inputs, its outputs and `adopted`, the key and the account.
  const outputs = BATCH_PROPERTIES.filter((p: PropertySpec) => p.output).map((p) => p.name);
  expect(Object.keys(resource.inputProperties).sort()).toEqual([...RESOURCE_PROPERTIES].sort());
  expect(Object.keys(resource.properties).sort()).toEqual([...outputs, ADOPTED_OUTPUT.name].sort());
  expect(Object.keys(schema.config.variables).sort()).toEqual([API_KEY_PROPERTY.name, ...ACCOUNT_PROPERTIES].sort());
  expect(schema.config.variables.apiKey.secret).toBe(true);
  const undescribed: string[] = [];
  const bags: [string, Record<string, { description?: string }>][] = [
    ["config", schema.config.variables],
    ["provider", schema.provider.inputProperties],
    ["inputs", resource.inputProperties],
    ["outputs", resource.properties],
  ];
  for (const [where, bag] of bags) for (const [k, v] of Object.entries(bag)) if (!v.description) undescribed.push(`${where}.${k}`);
  expect(undescribed).toEqual([]);
  expect(resource.description).toMatch(/scheduled-send batch/);
});
