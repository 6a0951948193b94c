// The resource model every adapter shares: respelling an account is no change (a replace would
// discard the old batch's mail), another account or another adopted id is a replace.
import { accountKey, batchChanges, canonicalOrigin, normaliseInputs } from "../core";

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
