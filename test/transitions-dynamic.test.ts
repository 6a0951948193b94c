// The transition table (test/support/transitions.ts) through the dynamic resource: one inline
// program on one stack, driven by the real Pulumi engine against the emulator over HTTP.
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { ScheduledBatch } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
import { walkTransitions } from "./support/transitionWalk";
import { SUBUSER, type Account, type Program } from "./support/transitions";

jest.setTimeout(300_000);

const sg = useEmulator();
let s: LocalStack | undefined;
let declared: Program = {};
let made: Readonly<Record<string, string>> = {};
const ids: Record<string, { batchId: string; account: Account }> = {};

afterAll(async () => {
  await s?.dispose();
});

/** The program the engine runs: one ScheduledBatch per declared resource; the account is its onBehalfOf input. */
async function program(): Promise<Record<string, unknown>> {
  const outputs: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(declared)) {
    const batch = new ScheduledBatch(name, {
      status: d.status,
      batchId: d.adopt === undefined ? undefined : made[d.adopt],
      onBehalfOf: d.account === "subuser" ? SUBUSER : undefined,
      apiUrl: sg.url,
    });
    outputs[name] = batch.batchId;
  }
  return outputs;
}

walkTransitions(sg, () => ({
  async run(op, next, madeSoFar) {
    declared = next;
    made = madeSoFar;
    s ??= await localStack({
      projectName: "sendgrid-transitions",
      program,
      secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
    });
    if ("up" in op) {
      const res = await s.stack.up();
      for (const [name, d] of Object.entries(next)) ids[name] = { batchId: String(res.outputs[name].value), account: d.account };
    } else if ("refresh" in op) await s.stack.refresh();
    else await s.stack.destroy();
  },
  idOf(name) {
    const id = ids[name];
    if (!id) throw new Error(`no batch recorded for ${name}`);
    return id;
  },
}));
