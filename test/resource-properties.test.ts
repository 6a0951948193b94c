// ScheduledBatch's properties are stated once, in core/properties.ts, and everything else is made
// from it (at run time, or by `npm run generate`: test/generated-files.test.ts). What is left to hold
// is the table's own shape.
import { ACCOUNT_PROPERTIES, BATCH_PROPERTIES, DEFAULT_STATUS, INPUT_PROPERTIES, RESOURCE_PROPERTIES, propertySpec } from "../core";

test("the table names each property once, with a CloudFormation name, a change rule and a description", () => {
  expect(INPUT_PROPERTIES).toEqual(["status", "sendAt", "batchId", "onBehalfOf", "region", "apiUrl"]);
  expect(ACCOUNT_PROPERTIES).toEqual(["onBehalfOf", "region", "apiUrl"]);
  expect(RESOURCE_PROPERTIES).toEqual(["status", "sendAt", "batchId"]);
  expect(new Set(BATCH_PROPERTIES.map((p) => p.cfnName)).size).toBe(BATCH_PROPERTIES.length);
  expect(propertySpec("status").default).toBe(DEFAULT_STATUS);
  for (const p of BATCH_PROPERTIES) expect(p.description.length).toBeGreaterThan(40);
});
