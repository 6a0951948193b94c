// The transition table (test/support/transitions.ts) through the `sendgrid-batch` provider plugin,
// from a Pulumi YAML program rewritten per row, on one stack run by the real engine (CLI + YAML
// language host) against the emulator over HTTP. The subuser account is another provider instance.
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { pluginProject, type PluginProject, type YamlProgram } from "./support/pluginProject";
import { walkTransitions } from "./support/transitionWalk";
import { SUBUSER, type Account, type Program } from "./support/transitions";

jest.setTimeout(300_000);

const sg = useEmulator();
let p: PluginProject | undefined;
const ids: Record<string, { batchId: string; account: Account }> = {};

afterAll(async () => {
  await p?.dispose();
});

function yaml(declared: Program, made: Readonly<Record<string, string>>): YamlProgram {
  const program: YamlProgram = { providers: { subuser: { apiUrl: sg.url, onBehalfOf: SUBUSER } }, batches: {} };
  for (const [name, d] of Object.entries(declared)) {
    program.batches[name] = {
      status: d.status,
      batchId: d.adopt === undefined ? undefined : made[d.adopt],
      provider: d.account === "subuser" ? "subuser" : undefined,
    };
  }
  return program;
}

walkTransitions(sg, () => ({
  async run(op, next, made) {
    // The default provider takes its key from secret config; the explicit one from the environment.
    p ??= await pluginProject("plugin-transitions", yaml({}, made), {
      config: { "sendgrid-batch:apiUrl": sg.url },
      secrets: { "sendgrid-batch:apiKey": DEFAULT_EMULATOR_API_KEY },
      env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
    });
    if ("up" in op) {
      p.write(yaml(next, made));
      const res = await p.s.stack.up();
      for (const [name, d] of Object.entries(next)) ids[name] = { batchId: String(res.outputs[name].value), account: d.account };
    } else if ("refresh" in op) await p.s.stack.refresh();
    else await p.s.stack.destroy();
  },
  idOf(name) {
    const id = ids[name];
    if (!id) throw new Error(`no batch recorded for ${name}`);
    return id;
  },
}));
