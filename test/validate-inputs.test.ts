import { apiUrlProblem } from "../core/account";
import { apiKeyProblem, parseSendAt, pastCutoff, validateInputs } from "../core/validate";

const NOW = 1_800_000_000; // Unix seconds
const opts = { now: NOW };

describe("input validation (runs at preview, before any SendGrid call)", () => {
  test("accepts a minimal batch and defaults to active", () => {
    const { spec, failures } = validateInputs({}, opts);
    expect(failures).toEqual([]);
    expect(spec).toEqual({ status: "active" });
  });

  test("accepts every property in its documented form", () => {
    const { spec, failures } = validateInputs(
      {
        status: "paused",
        sendAt: "2027-01-15T11:00:00Z",
        batchId: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi",
        onBehalfOf: "account-id 123",
        region: "eu",
        apiUrl: "http://127.0.0.1:4010/",
      },
      { now: Date.parse("2027-01-15T09:00:00Z") / 1000 },
    );
    expect(failures).toEqual([]);
    expect(spec).toEqual({
      status: "paused",
      sendAt: Date.parse("2027-01-15T11:00:00Z") / 1000,
      batchId: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi",
      onBehalfOf: "account-id 123",
      region: "eu",
      apiUrl: "http://127.0.0.1:4010",
    });
  });

  // property, value, a phrase the reason must contain
  const bad: Array<[string, unknown, RegExp]> = [
    ["status", "pause", /must be one of "active", "paused", "cancelled"/],
    ["status", "PAUSED", /must be one of/],
    ["status", "", /must be one of/],
    ["status", 1, /must be one of/],
    ["status", true, /must be one of/],
    ["sendAt", NOW * 1000, /looks like milliseconds/],
    ["sendAt", 1.5, /whole Unix seconds/],
    ["sendAt", -5, /positive Unix timestamp/],
    ["sendAt", "tomorrow", /ISO 8601/],
    ["sendAt", "2027-01-15", /ISO 8601 date-time with a zone/],
    ["sendAt", "2027-01-15T10:00:00", /with a zone/],
    ["sendAt", { at: 1 }, /number of Unix seconds or an ISO 8601 string/],
    ["sendAt", "2027-02-30T00:00:00Z", /not a real date-time: February 2027 has 28 days \(got day 30\)/],
    ["sendAt", "2028-02-30T00:00:00Z", /February 2028 has 29 days/],
    ["sendAt", "2027-04-31T09:00:00Z", /April 2027 has 30 days/],
    ["sendAt", "2027-01-15T24:00Z", /not a real date-time: the hour must be 00–23 \(got 24/],
    ["sendAt", "2027-01-15T24:00:00+01:00", /the hour must be 00–23/],
    ["sendAt", "2027-01-15T10:60Z", /the minutes must be 00–59/],
    ["sendAt", "2027-01-15T10:00:60Z", /the seconds must be 00–59/],
    ["sendAt", "2027-13-01T10:00Z", /the month must be 01–12/],
    ["sendAt", NOW + 73 * 3600, /more than 72 hours in advance/],
    ["batchId", "", /batchId must be a SendGrid batch id/],
    ["batchId", "has space", /batchId must be/],
    ["batchId", "-leading-dash", /batchId must be/],
    ["batchId", "x".repeat(129), /up to 128/],
    ["batchId", "x", /at least 16 and up to 128 characters/],
    ["batchId", "test", /at least 16/],
    ["batchId", "ShorterThan16ch", /at least 16/],
    ["batchId", 42, /batchId must be/],
    ["onBehalfOf", "", /onBehalfOf must be/],
    ["onBehalfOf", " padded ", /without surrounding spaces/],
    ["onBehalfOf", "evil\r\nX-Injected: 1", /line breaks/],
    ["onBehalfOf", 7, /onBehalfOf must be/],
    ["region", "us", /region must be "global"/],
    ["region", "EU", /region must be "global"/],
    ["apiUrl", "api.sendgrid.com", /absolute URL/],
    ["apiUrl", "http://api.sendgrid.com", /http only for a loopback host/],
    ["apiUrl", "ftp://127.0.0.1", /must use https/],
    ["apiUrl", "https://user:pw@api.sendgrid.com", /must not contain credentials/],
    ["apiUrl", "https://api.sendgrid.com/?x=1", /query or fragment/],
    ["apiUrl", "https://api.sendgrid.com/v3", /must be an origin .* without a path/],
    ["apiUrl", "http://127.0.0.1:3030/v3/", /without a path/],
    ["apiUrl", "https://api.sendgrid.com/#x", /query or fragment/],
    ["apiUrl", 443, /must be a string URL/],
    ["apiKey", "SG.x", /unknown property "apiKey"/],
  ];

  test.each(bad)("rejects %s = %p with a reason naming the rule", (property, value, reason) => {
    const { failures } = validateInputs({ [property]: value }, opts);
    expect(failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
  });

  test("refuses a pause later than 10 minutes before send_at (SendGrid's cut-off)", () => {
    const { failures } = validateInputs({ status: "paused", sendAt: NOW + 9 * 60 }, opts);
    expect(failures).toEqual([
      { property: "status", reason: expect.stringMatching(/cannot pause now: .*10 minutes before send_at.*9 min away/) },
    ]);
  });

  test("refuses a cancel once send_at has passed", () => {
    const { failures } = validateInputs({ status: "cancelled", sendAt: NOW - 3600 }, opts);
    expect(failures).toEqual([{ property: "status", reason: expect.stringMatching(/cannot cancel now: .*passed 60 min ago/) }]);
  });

  test("allows a pause exactly 10 minutes before send_at (SendGrid: no later than 10 minutes before), not a second later", () => {
    expect(validateInputs({ status: "paused", sendAt: NOW + 600 }, opts).failures).toEqual([]);
    expect(validateInputs({ status: "paused", sendAt: NOW + 599 }, opts).failures).toHaveLength(1);
    expect([pastCutoff(NOW + 600, NOW), pastCutoff(NOW + 599, NOW)]).toEqual([false, true]);
  });

  test("accepts a sendAt exactly 72 hours ahead (SendGrid forbids only more than 72 h), refuses one a second later", () => {
    const at72h = NOW + 72 * 3600;
    for (const sendAt of [at72h, new Date(at72h * 1000).toISOString()]) {
      expect(validateInputs({ status: "paused", sendAt }, opts).failures).toEqual([]);
    }
    for (const sendAt of [at72h + 1, new Date((at72h + 1) * 1000).toISOString()]) {
      expect(validateInputs({ status: "paused", sendAt }, opts).failures).toEqual([
        {
          property: "sendAt",
          reason: `sendAt ${new Date((at72h + 1) * 1000).toISOString()} is 72.0 h ahead; SendGrid forbids scheduling more than 72 hours in advance`,
        },
      ]);
    }
  });

  test("accepts a batch id of 16 characters, the shortest allowed", () => {
    expect(validateInputs({ batchId: "A".repeat(16) }, opts).failures).toEqual([]);
  });

  test("allows a pause 11 minutes ahead", () => {
    expect(validateInputs({ status: "paused", sendAt: NOW + 11 * 60 }, opts).failures).toEqual([]);
  });

  test("does not re-judge a status that is not changing (a paused batch near its send time still previews)", () => {
    const sendAt = NOW + 60;
    expect(validateInputs({ status: "paused", sendAt }, { now: NOW, previous: { status: "paused", sendAt } }).failures).toEqual([]);
  });

  test("skips values that are unknown during preview", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const r = validateInputs({ status: unknown, sendAt: unknown, apiUrl: unknown }, { now: NOW, isUnknown: (v) => v === unknown });
    expect(r.failures).toEqual([]);
  });

  test("reports every problem at once", () => {
    const { failures } = validateInputs({ status: "x", region: "y", apiUrl: "z" }, opts);
    expect(failures.map((f) => f.property).sort()).toEqual(["apiUrl", "region", "status"]);
  });
});

describe("API key checks never echo the key", () => {
  test.each([
    [undefined, "MISSING_API_KEY", /no SendGrid API key/],
    ["", "BLANK_API_KEY", /blank/],
    ["   ", "BLANK_API_KEY", /blank/],
    ["SG.abc def", "MALFORMED_API_KEY", /whitespace/],
    ["SG.abc\n", "MALFORMED_API_KEY", /whitespace/],
  ])("key %p is refused with a code and a reason", (key, code, reason) => {
    const problem = apiKeyProblem(key);
    expect(problem?.code).toBe(code);
    expect(problem?.reason).toMatch(reason);
    if (key?.trim()) expect(problem?.reason).not.toContain(key.trim());
  });
  test.each([undefined, "", "SG.abc def"])(
    "the reason for key %p names no adapter's setting (each adapter says where its key comes from)",
    (key) => {
      expect(apiKeyProblem(key)?.reason).not.toMatch(/sendgrid:apiKey|sendgrid-batch|pulumi|SENDGRID_API_KEY|ApiKeySecretArn/);
    },
  );
  test("a well-formed key passes", () => expect(apiKeyProblem("SG.abc.def")).toBeUndefined());
});

describe("sendAt formats", () => {
  test("numeric strings are seconds", () => expect(parseSendAt("1800000000")).toEqual({ seconds: 1_800_000_000 }));
  test("a real leap day and the last second of a day are accepted as written", () => {
    expect(parseSendAt("2028-02-29T23:59:59Z")).toEqual({ seconds: Date.parse("2028-02-29T23:59:59Z") / 1000 });
    expect(parseSendAt("2027-01-15T23:59+14:00")).toEqual({ seconds: Date.parse("2027-01-15T09:59:00Z") / 1000 });
  });
  test("offsets are honoured", () =>
    expect(parseSendAt("2027-01-15T10:00:00+02:00")).toEqual({ seconds: Date.parse("2027-01-15T08:00:00Z") / 1000 }));
  test("https to any host and http to [::1] are allowed API URLs", () => {
    expect(apiUrlProblem("https://api.eu.sendgrid.com")).toBeUndefined();
    expect(apiUrlProblem("http://[::1]:8080")).toBeUndefined();
    expect(apiUrlProblem("http://localhost:8080")).toBeUndefined();
  });
});
