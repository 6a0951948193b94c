// ScheduledBatch's properties are stated once, in core/properties.ts. What is derived from the table
// at run time needs no test of its own; what cannot be derived (the typed args' doc comments, which
// the IDE shows) is held to the table here, so the two cannot drift.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ACCOUNT_PROPERTIES,
  BATCH_PROPERTIES,
  DEFAULT_STATUS,
  INPUT_PROPERTIES,
  RESOURCE_PROPERTIES,
  propertySpec,
  type BatchProperty,
} from "../core";
import { CONFIG_KEYS, RESOURCE_INPUTS } from "../plugin/names";

const ROOT = path.resolve(__dirname, "..");

/** The doc comment of each property of `interface <name>` in a source file, whitespace collapsed. */
function argDocs(file: string, iface: string): Map<string, string> {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const body = new RegExp(`export interface ${iface} \\{([\\s\\S]*?)\\n\\}`).exec(text)?.[1];
  if (body === undefined) throw new Error(`${file} declares no interface ${iface}`);
  const docs = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(?:readonly\s+)?(\w+)\??:/g)) {
    docs.set(
      m[2]!,
      m[1]!
        .replace(/^\s*\*\s?/gm, " ")
        .replace(/\s+/g, " ")
        .trim(),
    );
  }
  return docs;
}

test("the table names each property once, with a CloudFormation name, a change rule and a description", () => {
  expect(INPUT_PROPERTIES).toEqual(["status", "sendAt", "batchId", "onBehalfOf", "region", "apiUrl"]);
  expect(ACCOUNT_PROPERTIES).toEqual(["onBehalfOf", "region", "apiUrl"]);
  expect(RESOURCE_PROPERTIES).toEqual(["status", "sendAt", "batchId"]);
  expect(new Set(BATCH_PROPERTIES.map((p) => p.cfnName)).size).toBe(BATCH_PROPERTIES.length);
  expect(propertySpec("status").default).toBe(DEFAULT_STATUS);
  for (const p of BATCH_PROPERTIES) expect(p.description.length).toBeGreaterThan(40);
});

test("the plugin's resource inputs and configuration keys are the table's", () => {
  expect(RESOURCE_INPUTS).toEqual(RESOURCE_PROPERTIES);
  expect(CONFIG_KEYS).toEqual(["apiKey", ...ACCOUNT_PROPERTIES]);
});

test.each([
  ["provider/scheduledBatch.ts", "ScheduledBatchArgs", INPUT_PROPERTIES],
  ["plugin/index.ts", "ScheduledBatchArgs", RESOURCE_PROPERTIES],
  ["plugin/index.ts", "ProviderArgs", ACCOUNT_PROPERTIES],
] as const)("%s %s documents each property with the table's description", (file, iface, names) => {
  const docs = argDocs(file, iface);
  for (const name of names as readonly BatchProperty[]) expect([name, docs.get(name)]).toEqual([name, propertySpec(name).description]);
});
