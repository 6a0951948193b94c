// The plugin's schema as Pulumi's own tools read it (scripts/sdkgen: Pulumi's binder, and every key
// held to the Go types Pulumi decodes a schema into), and the committed SDKs: sdk/ is exactly what
// the generator makes of today's schema (`npm run sdk` regenerates it).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sendgridBatchProvider } from "../plugin/provider";
import { REPO_ROOT } from "../scripts/lib/engine";
import { ensuredTool } from "./support/ensuredTool";
import { generateSdks, staleSdkFiles } from "./support/sdkTree";
import * as pkg from "../package.json";

interface Report {
  diagnostics: { severity: string; summary: string; subject?: string }[];
  unknownKeys: string[];
}
type Json = Record<string, unknown>;

let tmp = "";
let sdkgen = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sg-sdk-gen-"));
  sdkgen = ensuredTool("SDKGEN", "ensure-sdkgen.sh");
}, 900_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The schema the plugin serves (GetSchema), as JSON. */
const servedSchema = (): Json => JSON.parse(sendgridBatchProvider(pkg).provider.schema ?? "") as Json;

function check(schema: Json): { status: number | null; report: Report } {
  const file = path.join(tmp, `schema-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(schema));
  const r = spawnSync(sdkgen, ["check", file]);
  return { status: r.status, report: JSON.parse(r.stdout.toString()) as Report };
}

test("the schema binds with Pulumi's binder with 0 diagnostics, warnings included, and has no unknown key", () => {
  expect(check(servedSchema())).toEqual({ status: 0, report: { diagnostics: [], unknownKeys: [] } });
});

test("each enum type and each of its values is described (the properties: plugin-grpc's get-schema test)", () => {
  const types = servedSchema().types as Record<string, { description?: string; enum: { value: string; description?: string }[] }>;
  expect(Object.keys(types).sort()).toEqual(["sendgrid-batch:index:BatchStatus", "sendgrid-batch:index:Region"]);
  const undescribed = Object.entries(types).flatMap(([token, t]) => [
    ...(t.description ? [] : [token]),
    ...t.enum.filter((v) => !v.description).map((v) => `${token}.${v.value}`),
  ]);
  expect(undescribed).toEqual([]);
});

test("a misspelled or wrongly cased key, an unknown language setting and a binder warning each fail the check", () => {
  const schema = servedSchema() as {
    language: Record<string, Json>;
    resources: Record<string, { inputProperties: Record<string, Json>; properties: Record<string, Json> }>;
  };
  const resource = schema.resources["sendgrid-batch:index:ScheduledBatch"];
  resource.inputProperties.status.descripton = "typo";
  resource.inputProperties.batchId.Description = "Go's decoder would take it; Pulumi's metaschema would ignore it";
  schema.language.go.importBasepath = "example.com/x";
  // The binder's warning for an output named `id` (reserved on resources).
  resource.properties.id = { type: "string", description: "reserved" };
  const { status, report } = check(schema as unknown as Json);
  expect(status).toBe(1);
  expect(report.unknownKeys).toEqual([
    "language.go.importBasepath",
    "resources.sendgrid-batch:index:ScheduledBatch.inputProperties.batchId.Description",
    "resources.sendgrid-batch:index:ScheduledBatch.inputProperties.status.descripton",
  ]);
  expect(report.diagnostics).toEqual([
    expect.objectContaining({
      severity: "warning",
      summary: expect.stringMatching(/properties\/id: id is a reserved property name for resources$/),
    }),
  ]);
});

test("sdk/python, sdk/go and sdk/nodejs are current: regenerating them from the schema changes nothing", () => {
  const out = path.join(tmp, "sdk");
  const schema = path.join(tmp, "served-schema.json");
  fs.writeFileSync(schema, JSON.stringify(servedSchema()));
  generateSdks(schema, out);
  const stale = staleSdkFiles(REPO_ROOT, out);
  if (stale.length) throw new Error(`sdk/ is stale; run \`npm run sdk\` and commit the result:\n${stale.join("\n")}`);
}, 900_000);
