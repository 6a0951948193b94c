// The policy pack (policy/) through the real engine: `pulumi preview --policy-pack policy` on inline
// programs against the emulator. How the pack is launched here is explained in
// test/support/policyEngine.ts (the engine's `pulumi-analyzer-policy-nodejs` fallback).

import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { type BatchView, PLUGIN_TYPE, quotaViolations } from "../policy/rules";
import { Provider, type ProviderArgs, ScheduledBatch as PluginBatch, type ScheduledBatchArgs as PluginArgs } from "../plugin";
import { ScheduledBatch, type ScheduledBatchArgs } from "../provider";
import { REPO_ROOT, localStack, type LocalStack } from "../scripts/lib/engine";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { POLICY_PACK_DIR, type PolicyEngine, policyEngine } from "./support/policyEngine";

jest.setTimeout(300_000);

const sg = useEmulator();
let engine: PolicyEngine;
const stacks: LocalStack[] = [];

beforeAll(() => {
  engine = policyEngine();
});
afterAll(async () => {
  for (const s of stacks) await s.dispose();
  engine?.dispose();
});

/** A day ahead: inside SendGrid's 72 h window and far from the 10-minute cut-off. */
const SEND_AT = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 24 * 3_600_000).toISOString();

interface Decl {
  name: string;
  args: ScheduledBatchArgs;
  protect?: boolean;
}

/** `n` held batches, protected and with sendAt (so no advisory applies), named `<prefix>0…`. */
function held(prefix: string, n: number, extra: Partial<ScheduledBatchArgs> = {}): Decl[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `${prefix}${i}`,
    args: { status: i % 2 ? "cancelled" : "paused", sendAt: SEND_AT, ...extra },
    protect: true,
  }));
}

interface Violation {
  policy: string;
  /** "mandatory" or "advisory" (what the engine sends; the SDK's type says "warning"). */
  level: string;
  resource: string;
  message: string;
}

interface PreviewResult {
  ok: boolean;
  output: string;
  violations: Violation[];
}

async function previewWithPack(decls: Decl[]): Promise<PreviewResult> {
  return previewProgram(async () => {
    for (const d of decls) new ScheduledBatch(d.name, { apiUrl: sg.url, ...d.args }, { protect: d.protect });
  });
}

/** `pulumi preview --policy-pack policy` of an inline program on a fresh stack, with every policy event. */
async function previewProgram(program: () => Promise<void>, env: Record<string, string> = engine.env): Promise<PreviewResult> {
  const s = await localStack({
    projectName: "sendgrid-policy",
    stackName: `policy${stacks.length}`,
    cliBin: engine.cliBin,
    env,
    program,
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });
  stacks.push(s);
  const violations: Violation[] = [];
  const onEvent = (e: EngineEvent) => {
    const p = e.policyEvent;
    if (!p) return;
    violations.push({
      policy: p.policyName,
      level: p.enforcementLevel,
      resource: p.resourceUrn ? (p.resourceUrn.split("::").pop() ?? "") : "",
      message: p.message,
    });
  };
  try {
    const res = await s.stack.preview({ policyPacks: [POLICY_PACK_DIR], onEvent, color: "never" });
    return { ok: true, output: res.stdout, violations };
  } catch (err) {
    return { ok: false, output: String(err), violations };
  }
}

const QUOTA = "sendgrid-paused-cancelled-limit";

describe("mandatory: at most 10 paused or cancelled batches per account", () => {
  test("11 for one account (respelled: a trailing slash) fail preview with the policy's message and 0 SendGrid requests", async () => {
    await takeSendGridCalls(sg.admin);
    // The 11th names the same emulator as `${url}/` (the provider's check hands the engine the
    // canonical origin, which is what the pack sees).
    const decls = [
      ...held("held", 10),
      { name: "respelled", args: { status: "paused" as const, sendAt: SEND_AT, apiUrl: `${sg.url}/` }, protect: true },
    ];
    const r = await previewWithPack(decls);
    expect(r.ok).toBe(false);
    const mandatory = r.violations.filter((v) => v.level === "mandatory");
    expect(mandatory).toHaveLength(1);
    // Reported once, on the stack: the rule is about the stack's batches together.
    expect(mandatory[0]).toMatchObject({ policy: QUOTA, resource: expect.stringMatching(/^sendgrid-policy-policy\d+$/) });
    expect(mandatory[0].message).toContain(
      `11 ScheduledBatch resources are paused or cancelled for one SendGrid account (${sg.url}): held0, held1, held2, held3, held4, held5, held6, held7, held8, held9, respelled. SendGrid allows at most 10 at once`,
    );
    expect(r.output).toContain("mandatory");
    expect(r.output).toContain("11 ScheduledBatch resources are paused or cancelled for one SendGrid account");
    expect(r.violations.filter((v) => v.level !== "mandatory")).toEqual([]);
    expect(await takeSendGridCalls(sg.admin)).toEqual([]);
  });

  test("one account spelled two ways that survive check (region eu, the EU host as apiUrl) counts once", async () => {
    // Preview makes no SendGrid request, so the real hosts are safe to name here.
    const r = await previewWithPack([
      ...held("eu", 6, { region: "eu", apiUrl: undefined }),
      ...held("eu-url", 5, { apiUrl: "https://api.eu.sendgrid.com" }),
    ]);
    expect(r.ok).toBe(false);
    const mandatory = r.violations.filter((v) => v.level === "mandatory");
    expect(mandatory.map((v) => v.message.trim().split("\n").pop())).toEqual([
      expect.stringMatching(
        /^11 ScheduledBatch resources are paused or cancelled for one SendGrid account \(https:\/\/api\.eu\.sendgrid\.com\): eu-url0, .*, eu5\. /,
      ),
    ]);
  });

  test("10 (plus any number of active ones) pass", async () => {
    const active: Decl[] = [{ name: "live", args: { status: "active", sendAt: SEND_AT }, protect: true }];
    const r = await previewWithPack([...held("held", 10), ...active]);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    expect(await takeSendGridCalls(sg.admin)).toEqual([]);
  });

  test("the same 11 split over two subusers pass (each subuser is its own account)", async () => {
    const r = await previewWithPack([...held("a", 6, { onBehalfOf: "subuser-a" }), ...held("b", 5, { onBehalfOf: "subuser-b" })]);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
  });

  test("11 over the parent account and a subuser: only an account over the limit is reported", async () => {
    const r = await previewWithPack([...held("parent", 11), ...held("sub", 10, { onBehalfOf: "subuser-a" })]);
    expect(r.ok).toBe(false);
    const mandatory = r.violations.filter((v) => v.level === "mandatory");
    expect(mandatory).toHaveLength(1);
    expect(mandatory[0].message).toMatch(
      /^11 ScheduledBatch resources are paused or cancelled for one SendGrid account \(http:\/\/127\.0\.0\.1:\d+\): parent0, parent1, parent2,/m,
    );
    expect(mandatory[0].message).not.toContain("sub0");
  });
});

/** A dynamic resource of another type (`pulumi-nodejs:dynamic/sendgrid:OtherThing`) with batch-like inputs. */
class OtherThing extends pulumi.dynamic.Resource {
  constructor(name: string) {
    const provider: pulumi.dynamic.ResourceProvider = {
      async create() {
        return { id: "x" };
      },
    };
    super(provider, name, { status: "paused" }, undefined, "sendgrid", "OtherThing");
  }
}

describe("advisories", () => {
  test("a held batch without sendAt and an unprotected batch are flagged, and nothing else", async () => {
    const r = await previewWithPack([
      { name: "held-ok", args: { status: "paused", sendAt: SEND_AT }, protect: true },
      { name: "held-no-send-at", args: { status: "paused" }, protect: true },
      { name: "cancelled-no-send-at", args: { status: "cancelled" }, protect: true },
      { name: "active-no-send-at", args: { status: "active" }, protect: true },
      { name: "unprotected", args: { status: "active", sendAt: SEND_AT } },
      { name: "unprotected-held", args: { status: "paused" }, protect: false },
    ]);
    expect(r.ok).toBe(true); // advisories never fail a preview
    const seen = r.violations.map((v) => `${v.level} ${v.policy} ${v.resource}`).sort();
    expect(seen).toEqual(
      [
        "advisory sendgrid-held-batch-send-at held-no-send-at",
        "advisory sendgrid-held-batch-send-at cancelled-no-send-at",
        "advisory sendgrid-held-batch-send-at unprotected-held",
        "advisory sendgrid-batch-protected unprotected",
        "advisory sendgrid-batch-protected unprotected-held",
      ].sort(),
    );
    expect(r.output).toContain("advisory");
    expect(r.output).toContain("has no sendAt");
    expect(r.output).toContain("is not protected");
  });

  test("resources of other types are not looked at", async () => {
    const s = await localStack({
      projectName: "sendgrid-policy-other",
      stackName: `policy${stacks.length}`,
      cliBin: engine.cliBin,
      env: engine.env,
      program: async () => {
        // Unprotected, paused, without sendAt, 11 of them: every rule would fire on a ScheduledBatch.
        for (let i = 0; i < 11; i++) new OtherThing(`other${i}`);
      },
    });
    stacks.push(s);
    const events: EngineEvent[] = [];
    await s.stack.preview({ policyPacks: [POLICY_PACK_DIR], onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.policyEvent)).toEqual([]);
  });
});

describe("the plugin resource (sendgrid-batch:index:ScheduledBatch) through the engine", () => {
  // The plugin's typed classes with explicit Provider instances (one per account); the engine finds
  // bin/pulumi-resource-sendgrid-batch on PATH, after the policy engine's own directory.
  // SENDGRID_API_KEY: the key of a provider given none (the same value for every provider of the run).
  const pluginEnv = (): Record<string, string> => ({
    PATH: [engine.env.PATH, path.join(REPO_ROOT, "bin")].join(path.delimiter),
    SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY,
  });
  const OTHER_KEY = "SG.anotherAccountKey000.policy-test-key-of-a-second-sendgrid-account-0000";

  interface PluginDecl {
    name: string;
    /** The name of a provider of the program. */
    provider: string;
    args: PluginArgs;
    protect?: boolean;
  }

  /** `n` held plugin batches, protected and with sendAt, named `<prefix>0…`, through `provider`. */
  function heldPlugin(prefix: string, n: number, provider: string): PluginDecl[] {
    return Array.from({ length: n }, (_, i) => ({
      name: `${prefix}${i}`,
      provider,
      args: { status: i % 2 ? "cancelled" : "paused", sendAt: SEND_AT },
      protect: true,
    }));
  }

  /** Providers (name → config; apiUrl: the emulator, apiKey: the emulator's key, unless given) and batches. */
  function previewPlugin(providers: Record<string, ProviderArgs>, batches: PluginDecl[]): Promise<PreviewResult> {
    return previewProgram(async () => {
      const made = new Map<string, Provider>();
      for (const [name, config] of Object.entries(providers)) {
        made.set(name, new Provider(name, { apiUrl: sg.url, apiKey: DEFAULT_EMULATOR_API_KEY, ...config }));
      }
      for (const b of batches) new PluginBatch(b.name, b.args, { provider: made.get(b.provider), protect: b.protect });
    }, pluginEnv());
  }

  test("11 held through one provider fail preview with the policy's message and 0 SendGrid requests", async () => {
    await takeSendGridCalls(sg.admin);
    const r = await previewPlugin({ account: {} }, heldPlugin("p", 11, "account"));
    expect(r.ok).toBe(false);
    const mandatory = r.violations.filter((v) => v.level === "mandatory");
    expect(mandatory).toHaveLength(1);
    expect(mandatory[0]).toMatchObject({ policy: QUOTA, resource: expect.stringMatching(/^sendgrid-policy-policy\d+$/) });
    expect(mandatory[0].message).toContain(
      `11 ScheduledBatch resources are paused or cancelled for one SendGrid account (${sg.url}): p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10. SendGrid allows at most 10 at once`,
    );
    expect(r.output).toContain("11 ScheduledBatch resources are paused or cancelled for one SendGrid account");
    expect(r.violations.filter((v) => v.level !== "mandatory")).toEqual([]);
    // Neither the key nor its digest reaches a message.
    expect(r.output).not.toContain(DEFAULT_EMULATOR_API_KEY);
    expect(r.output).not.toContain("sha256");
    expect(await takeSendGridCalls(sg.admin)).toEqual([]);
  });

  test("10 held (and an active one) through one provider pass", async () => {
    const r = await previewPlugin({ account: {} }, [
      ...heldPlugin("p", 10, "account"),
      { name: "live", provider: "account", args: { status: "active", sendAt: SEND_AT }, protect: true },
    ]);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
  });

  test("the same 11 split over two provider instances for two subusers pass, with 0 SendGrid requests", async () => {
    await takeSendGridCalls(sg.admin);
    const r = await previewPlugin({ "team-a": { onBehalfOf: "team-a" }, "team-b": { onBehalfOf: "team-b" } }, [
      ...heldPlugin("a", 6, "team-a"),
      ...heldPlugin("b", 5, "team-b"),
    ]);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    expect(await takeSendGridCalls(sg.admin)).toEqual([]);
  });

  test("two provider instances with the same account and API key count together (6 + 5 fail)", async () => {
    // One account declared twice (say, two components each making their own Provider): SendGrid
    // counts its batches together, and so does the pack. The second spells the URL with a slash.
    const r = await previewPlugin({ first: {}, second: { apiUrl: `${sg.url}/` } }, [
      ...heldPlugin("first", 6, "first"),
      ...heldPlugin("second", 5, "second"),
    ]);
    expect(r.ok).toBe(false);
    const mandatory = r.violations.filter((v) => v.level === "mandatory");
    expect(mandatory).toHaveLength(1);
    expect(mandatory[0].message).toContain(
      `11 ScheduledBatch resources are paused or cancelled for one SendGrid account (${sg.url}): first0, first1, first2, first3, first4, first5, second0, second1, second2, second3, second4.`,
    );
  });

  test("two provider instances that both take the key from SENDGRID_API_KEY count together (6 + 5 fail)", async () => {
    const r = await previewPlugin({ first: { apiKey: undefined }, second: { apiKey: undefined } }, [
      ...heldPlugin("first", 6, "first"),
      ...heldPlugin("second", 5, "second"),
    ]);
    expect(r.ok).toBe(false);
    expect(r.violations.filter((v) => v.level === "mandatory").map((v) => v.message)).toEqual([
      expect.stringContaining(`11 ScheduledBatch resources are paused or cancelled for one SendGrid account (${sg.url}): first0,`),
    ]);
  });

  test("two provider instances on the same host with different API keys count apart (6 + 5 pass)", async () => {
    // The key selects the account on a shared host (every account lives on api.sendgrid.com): the
    // pack does not fail a stack that holds two accounts' batches (see policy/rules.ts pluginAccount).
    const r = await previewPlugin({ first: {}, second: { apiKey: OTHER_KEY } }, [
      ...heldPlugin("first", 6, "first"),
      ...heldPlugin("second", 5, "second"),
    ]);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.output).not.toContain(OTHER_KEY);
  });

  test("advisories: a held plugin batch without sendAt and an unprotected one are flagged, and nothing else", async () => {
    const r = await previewPlugin({ account: {} }, [
      { name: "held-ok", provider: "account", args: { status: "paused", sendAt: SEND_AT }, protect: true },
      { name: "held-no-send-at", provider: "account", args: { status: "paused" }, protect: true },
      { name: "cancelled-no-send-at", provider: "account", args: { status: "cancelled" }, protect: true },
      { name: "active-no-send-at", provider: "account", args: { status: "active" }, protect: true },
      { name: "unprotected", provider: "account", args: { status: "active", sendAt: SEND_AT } },
      { name: "unprotected-held", provider: "account", args: { status: "paused" }, protect: false },
    ]);
    expect(r.ok).toBe(true);
    // The Provider resource itself (not protected) is not a batch and is not flagged.
    const seen = r.violations.map((v) => `${v.level} ${v.policy} ${v.resource}`).sort();
    expect(seen).toEqual(
      [
        "advisory sendgrid-held-batch-send-at held-no-send-at",
        "advisory sendgrid-held-batch-send-at cancelled-no-send-at",
        "advisory sendgrid-held-batch-send-at unprotected-held",
        "advisory sendgrid-batch-protected unprotected",
        "advisory sendgrid-batch-protected unprotected-held",
      ].sort(),
    );
  });
});

describe("the plugin account rule (policy/rules.ts), on cases the engine run above does not build", () => {
  const plugin = (name: string, providerUrn: string, providerConfig?: Record<string, unknown>, status = "paused"): BatchView => ({
    type: PLUGIN_TYPE,
    name,
    urn: `urn:pulumi:dev::p::${PLUGIN_TYPE}::${name}`,
    props: { status },
    protect: true,
    providerUrn,
    providerConfig,
  });
  const P1 = "urn:pulumi:dev::p::pulumi:providers:sendgrid-batch::team-a";
  const P2 = "urn:pulumi:dev::p::pulumi:providers:sendgrid-batch::team-b";
  const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
  const split = (c1: Record<string, unknown> | undefined, c2: Record<string, unknown> | undefined) =>
    quotaViolations(Array.from({ length: 11 }, (_, i) => (i < 6 ? plugin(`b${i}`, P1, c1) : plugin(`b${i}`, P2, c2))));

  test("two providers that both take the key from SENDGRID_API_KEY, same host, count together (the default host named or not)", () => {
    expect(split({}, { apiUrl: "https://api.sendgrid.com/" }).map((v) => [v.account.label, v.names.length])).toEqual([
      ["https://api.sendgrid.com", 11],
    ]);
  });

  test("a region or a subuser is another account; an explicit key differs from the environment's", () => {
    expect(split({}, { region: "eu" })).toEqual([]);
    expect(split({ onBehalfOf: "x" }, {})).toEqual([]);
    expect(split({ apiKey: "SG.k" }, {})).toEqual([]);
    expect(split({ apiKey: "SG.k" }, { apiKey: "SG.k" })).toHaveLength(1);
  });

  test("a provider whose config is not known (no config reported, or an unknown value at preview) counts on its own", () => {
    expect(split(undefined, undefined)).toEqual([]);
    expect(split({ apiUrl: UNKNOWN }, {})).toEqual([]);
    expect(split({ apiKey: UNKNOWN }, { apiKey: UNKNOWN })).toEqual([]);
    const eleven = Array.from({ length: 11 }, (_, i) => plugin(`b${i}`, P1, undefined));
    expect(quotaViolations(eleven).map((v) => v.account.label)).toEqual(["provider team-a"]);
  });

  test("active plugin batches never count, and the key never appears in an account's key or label", () => {
    const ten = Array.from({ length: 10 }, (_, i) => plugin(`b${i}`, P1, { apiKey: "SG.secret-key" }));
    expect(quotaViolations([...ten, plugin("live", P1, { apiKey: "SG.secret-key" }, "active")])).toEqual([]);
    const [v] = quotaViolations([...ten, plugin("b10", P1, { apiKey: "SG.secret-key" })]);
    expect(JSON.stringify(v)).not.toContain("SG.secret-key");
  });
});

describe("packaging", () => {
  const root = path.resolve(__dirname, "..");
  const read = (p: string) => JSON.parse(fs.readFileSync(path.join(root, p), "utf8")) as Record<string, unknown>;

  test("the pack ships in the npm package, with the package's version, and its entry point is built", () => {
    const pkg = read("package.json");
    const pack = read("policy/package.json");
    expect(pack.version).toBe(pkg.version); // @pulumi/policy reports this version with every violation
    expect(pkg.files).toEqual(expect.arrayContaining(["dist/policy/", "policy/PulumiPolicy.yaml", "policy/package.json"]));
    expect(fs.existsSync(path.join(root, "policy", String(pack.main)))).toBe(true);
    expect(fs.readFileSync(path.join(root, "policy", "PulumiPolicy.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
  });
});
