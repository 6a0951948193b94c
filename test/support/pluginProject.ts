// Pulumi YAML projects that use the `sendgrid-batch` provider plugin from this checkout's bin/,
// written into a temporary directory and run by the real engine (CLI + YAML language host).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { REPO_ROOT, localStack, type LocalStack, type LocalStackOptions } from "../../scripts/lib/engine";

export const PLUGIN_TYPE = "sendgrid-batch:index:ScheduledBatch";

export interface YamlBatch {
  status?: string;
  batchId?: string;
  sendAt?: string | number;
  /** The name of an explicit provider declared in `providers`; default: the default provider. */
  provider?: string;
  /** Any other property (for bad-input tests). */
  extra?: Record<string, string>;
}

export interface YamlProgram {
  /** Explicit provider instances: name → config (apiUrl, onBehalfOf, region, apiKey). */
  providers?: Record<string, Record<string, string>>;
  batches: Record<string, YamlBatch>;
  /** Resource text appended verbatim (e.g. code printed by `pulumi import`). */
  extraResources?: string;
  /** The directory of the plugin executable; default: this checkout's bin/. */
  pluginDir?: string;
}

const q = (v: string | number): string => (typeof v === "number" ? String(v) : JSON.stringify(v));

/** The Pulumi.yaml text of `program` (plugins.providers points at this checkout's bin/ unless `pluginDir` says otherwise). */
export function yamlText(name: string, program: YamlProgram): string {
  const lines = [
    `name: ${name}`,
    "runtime: yaml",
    "plugins:",
    "  providers:",
    "    - name: sendgrid-batch",
    `      path: ${JSON.stringify(program.pluginDir ?? path.join(REPO_ROOT, "bin"))}`,
  ];
  const hasResources = Object.keys(program.providers ?? {}).length + Object.keys(program.batches).length > 0 || program.extraResources;
  if (hasResources) lines.push("resources:");
  for (const [pname, config] of Object.entries(program.providers ?? {})) {
    lines.push(`  ${pname}:`, "    type: pulumi:providers:sendgrid-batch", "    properties:");
    for (const [k, v] of Object.entries(config)) lines.push(`      ${k}: ${q(v)}`);
  }
  for (const [bname, b] of Object.entries(program.batches)) {
    lines.push(`  ${bname}:`, `    type: ${PLUGIN_TYPE}`);
    const props: [string, string | number][] = [];
    if (b.status !== undefined) props.push(["status", b.status]);
    if (b.batchId !== undefined) props.push(["batchId", b.batchId]);
    if (b.sendAt !== undefined) props.push(["sendAt", b.sendAt]);
    for (const [k, v] of Object.entries(b.extra ?? {})) props.push([k, v]);
    if (props.length) lines.push("    properties:", ...props.map(([k, v]) => `      ${k}: ${q(v)}`));
    if (b.provider) lines.push("    options:", `      provider: \${${b.provider}}`);
  }
  let text = `${lines.join("\n")}\n`;
  if (program.extraResources) text += program.extraResources.replace(/^resources:\n/, "");
  const outputs = Object.keys(program.batches);
  if (outputs.length) text += `outputs:\n${outputs.map((b) => `  ${b}: \${${b}.batchId}`).join("\n")}\n`;
  return text;
}

export interface PluginProject {
  dir: string;
  s: LocalStack;
  /** Rewrite the project's Pulumi.yaml. */
  write(program: YamlProgram): void;
  dispose(): Promise<void>;
}

/** A YAML project in a fresh temp dir, and a stack for it on a throwaway backend. */
export async function pluginProject(
  name: string,
  program: YamlProgram,
  opts: Omit<LocalStackOptions, "workDir" | "program" | "projectName"> = {},
): Promise<PluginProject> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-plugin-yaml-"));
  const write = (p: YamlProgram) => fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yamlText(name, p));
  write(program);
  const s = await localStack({ ...opts, workDir: dir });
  return {
    dir,
    s,
    write,
    dispose: async () => {
      await s.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PlannedStep {
  name: string;
  op: string;
  /** The provider's detailedDiff: property → kind ("update", "update-replace", …). */
  diff: Record<string, string>;
}

/** Collects the plugin resources' steps of a preview or update, with their detailedDiff. */
export function stepCollector(): { steps: PlannedStep[]; onEvent: (e: EngineEvent) => void } {
  const steps: PlannedStep[] = [];
  return {
    steps,
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      if (m?.type !== PLUGIN_TYPE) return;
      const diff: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.detailedDiff ?? {})) diff[k] = v.diffKind;
      steps.push({ name: m.urn.split("::").pop() ?? "", op: m.op, diff });
    },
  };
}

/** Every file the backend wrote, concatenated (state, history, backups). */
export function backendText(s: LocalStack): string {
  return s
    .backendFiles()
    .map((f) => fs.readFileSync(f, "utf8"))
    .join("\n");
}
