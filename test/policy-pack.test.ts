// The policy pack (policy/) through the real engine: `pulumi preview --policy-pack policy` on inline
// programs against the emulator. How the pack is launched here is explained in
// test/support/policyEngine.ts (the engine's `pulumi-analyzer-policy-nodejs` fallback).

import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { type BatchView, PLUGIN_TYPE, quotaViolations } from "../policy/rules";
import { ScheduledBatch, type ScheduledBatchArgs } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";
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
  const s = await localStack({
    projectName: "sendgrid-policy",
    stackName: `policy${stacks.length}`,
    cliBin: engine.cliBin,
    env: engine.env,
    program: async () => {
      for (const d of decls) new ScheduledBatch(d.name, { apiUrl: sg.url, ...d.args }, { protect: d.protect });
    },
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

describe("the plugin resource (sendgrid-batch:index:ScheduledBatch)", () => {
  // The plugin resource takes its account (and API key) from its provider, so each provider counts
  // as one account. Checked on the rule itself: the plugin is not part of this engine run.
  const plugin = (name: string, providerUrn: string, status = "paused"): BatchView => ({
    type: PLUGIN_TYPE,
    name,
    urn: `urn:pulumi:dev::p::${PLUGIN_TYPE}::${name}`,
    props: { status },
    protect: true,
    providerUrn,
  });
  const P1 = "urn:pulumi:dev::p::pulumi:providers:sendgrid-batch::team-a";
  const P2 = "urn:pulumi:dev::p::pulumi:providers:sendgrid-batch::team-b";

  test("11 through one provider violate; split over two providers they do not; active ones never count", () => {
    const eleven = Array.from({ length: 11 }, (_, i) => plugin(`b${i}`, P1));
    expect(quotaViolations(eleven).map((v) => [v.account.label, v.names.length])).toEqual([["provider team-a", 11]]);
    expect(quotaViolations(eleven.map((b, i) => (i < 6 ? b : { ...b, providerUrn: P2 })))).toEqual([]);
    expect(quotaViolations([...eleven.slice(0, 10), plugin("live", P1, "active")])).toEqual([]);
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
