// The resource model every adapter shares: respelling an account is no change (a replace would
// discard the old batch's mail), another account or another adopted id is a replace.
import { accountKey, apiOrigin, batchChanges, canonicalOrigin, normaliseInputs, validateInputs } from "../core";
import { parseProperties } from "../lambda/properties";
import { connectionSettings } from "../plugin/config";

const ID = "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi";

describe("normaliseInputs", () => {
  test("defaults the status and reduces apiUrl to its origin", () => {
    expect(normaliseInputs({ apiUrl: "http://127.0.0.1:3030/" })).toEqual({ status: "active", apiUrl: "http://127.0.0.1:3030" });
    expect(normaliseInputs({ status: "paused", apiUrl: "HTTPS://API.EU.SENDGRID.COM:443/", region: "global" })).toEqual({
      status: "paused",
      region: "global",
      apiUrl: "https://api.eu.sendgrid.com",
    });
  });

  test("an apiUrl that names the region's own host is the same as none", () => {
    expect(normaliseInputs({ apiUrl: "https://api.sendgrid.com" })).toEqual({ status: "active" });
    expect(normaliseInputs({ region: "global", apiUrl: "https://api.sendgrid.com/" })).toEqual({ status: "active", region: "global" });
    expect(normaliseInputs({ region: "eu", apiUrl: "https://api.eu.sendgrid.com" })).toEqual({ status: "active", region: "eu" });
  });

  test("a host with its trailing dot is the same host (the default host's drops, a loopback host's keeps http)", () => {
    expect(normaliseInputs({ apiUrl: "https://api.sendgrid.com." })).toEqual({ status: "active" });
    expect(normaliseInputs({ region: "eu", apiUrl: "https://API.EU.SENDGRID.COM.:443/" })).toEqual({ status: "active", region: "eu" });
    expect(normaliseInputs({ apiUrl: "http://localhost.:3030/" })).toEqual({ status: "active", apiUrl: "http://localhost:3030" });
    expect(canonicalOrigin("https://api.sendgrid.com.")).toBe("https://api.sendgrid.com");
  });

  test("leaves invalid values for validation to report", () => {
    expect(normaliseInputs({ apiUrl: "https://api.sendgrid.com/v3" })).toEqual({ status: "active", apiUrl: "https://api.sendgrid.com/v3" });
  });
});

describe("batchChanges", () => {
  const same: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ["a trailing slash on apiUrl", { apiUrl: "http://127.0.0.1:3030" }, { apiUrl: "http://127.0.0.1:3030/" }],
    ["an explicit default host", {}, { apiUrl: "https://api.sendgrid.com" }],
    ["the default host with its trailing dot", {}, { apiUrl: "https://api.sendgrid.com." }],
    ["a host with its trailing dot", { apiUrl: "https://sendgrid-proxy.example.com" }, { apiUrl: "https://sendgrid-proxy.example.com." }],
    ["an explicit global region", {}, { region: "global" }],
    ["the EU host spelled as apiUrl", { region: "eu" }, { apiUrl: "https://api.eu.sendgrid.com" }],
    ["the region beside an explicit apiUrl", { apiUrl: "http://127.0.0.1:3030" }, { apiUrl: "http://127.0.0.1:3030", region: "eu" }],
    ["sendAt spelled as ISO or seconds", { sendAt: "2026-12-01T09:00:00Z" }, { sendAt: 1796115600 }],
    ["the adopted id itself", { batchId: ID }, { batchId: ID }],
  ];
  test.each(same)("%s is no change", (_name, olds, news) => {
    expect(batchChanges(ID, olds, news)).toEqual({ replaces: [], updates: [] });
    expect(accountKey(olds)).toBe(accountKey(news));
  });

  const replaced: Array<[string, Record<string, unknown>, Record<string, unknown>, string[]]> = [
    ["another region", {}, { region: "eu" }, ["region"]],
    ["another API host", { apiUrl: "http://127.0.0.1:3030" }, { apiUrl: "http://127.0.0.1:3031" }, ["apiUrl"]],
    ["another subuser", { onBehalfOf: "team-a" }, { onBehalfOf: "team-b" }, ["onBehalfOf"]],
    ["a subuser added", {}, { onBehalfOf: "team-a" }, ["onBehalfOf"]],
    ["another adopted id", {}, { batchId: "OtherBatchId0000000000000000000" }, ["batchId"]],
  ];
  test.each(replaced)("%s is a replace", (_name, olds, news, replaces) => {
    expect(batchChanges(ID, olds, news).replaces).toEqual(replaces);
  });

  test("status and sendAt change in place", () => {
    expect(batchChanges(ID, { status: "active" }, { status: "paused", sendAt: 1796115600 })).toEqual({
      replaces: [],
      updates: ["status", "sendAt"],
    });
    expect(batchChanges(ID, {}, { status: "active" })).toEqual({ replaces: [], updates: [] });
  });
});

describe("one canonical origin", () => {
  // Every adapter reduces apiUrl with core/account.ts's canonicalOrigin: validation (the Lambda's
  // spec, the CDK's and the CLI's checks), the resource model (state, diffs, account keys) and the
  // plugin's connection. Validation once kept a host's trailing dot that the model dropped, so the
  // Lambda's spec and the account key named one host two ways.
  const spellings: Array<[string, string]> = [
    ["https://api.sendgrid.com.", "https://api.sendgrid.com"],
    ["HTTPS://API.EU.SENDGRID.COM.:443/", "https://api.eu.sendgrid.com"],
    ["https://sendgrid-proxy.example.com./", "https://sendgrid-proxy.example.com"],
    ["http://localhost.:3030", "http://localhost:3030"],
    ["http://127.0.0.1:3030/", "http://127.0.0.1:3030"],
  ];
  test.each(spellings)("%s is %s everywhere", (apiUrl, origin) => {
    const validated = validateInputs({ apiUrl }, { now: 0 });
    expect(validated.failures).toEqual([]);
    expect(validated.spec.apiUrl).toBe(origin);
    expect(canonicalOrigin(apiUrl)).toBe(origin);
    expect(apiOrigin({ apiUrl })).toBe(origin);
    expect(accountKey({ apiUrl })).toBe(accountKey({ apiUrl: origin }));
    expect(apiOrigin(normaliseInputs({ apiUrl }))).toBe(origin);
    const lambda = parseProperties({ ApiUrl: apiUrl, ApiKeyParameterName: "/sendgrid/api-key" }, { now: 0 });
    expect(lambda.failures).toEqual([]);
    expect(lambda.spec.apiUrl).toBe(origin);
    expect(connectionSettings({ apiUrl }, { SENDGRID_API_KEY: "SG.test-key" }).apiUrl).toBe(origin);
  });
});
