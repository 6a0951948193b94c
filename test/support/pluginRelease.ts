// What the release ships, as a user meets it: the self-contained plugin tarball `npm run dist` builds
// (scripts/release/: cached by a hash of its inputs, so a suite rebuilds it only when the plugin
// changed), a Pulumi CLI run with nothing of this machine's environment (`env -i`: PATH holds only
// the CLI's bin folder, so no Node.js; an empty PULUMI_HOME; a project in a temp dir outside the
// repository), and a loopback HTTP server laid out like a GitHub release download.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensurePulumiCli } from "../../scripts/lib/engine";
import { serveLocally } from "../../scripts/lib/localServer";
import { buildPluginTarball, type PluginTarball } from "../../scripts/release/pluginExecutable";
import { githubRepository } from "../../plugin/schema";
import * as pkg from "../../package.json";

/** package.json's repository as `owner/name`: where releases are published. */
export const REPOSITORY = githubRepository(pkg.repository);

let built: Promise<PluginTarball> | undefined;
let builtDir = "";

/** The plugin tarball for this machine (built once per test file, the executable from the cache). */
export function pluginTarball(): Promise<PluginTarball> {
  if (!built) {
    builtDir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-plugin-release-"));
    built = buildPluginTarball(builtDir);
  }
  return built;
}

/** Removes the tarball's temp folder (the cached executable stays). */
export function disposePluginTarball(): void {
  if (builtDir) fs.rmSync(builtDir, { recursive: true, force: true });
  built = undefined;
  builtDir = "";
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BareCli {
  root: string;
  /** The project directory (under os.tmpdir(), no node_modules above it). */
  dir: string;
  /** The empty-at-start PULUMI_HOME. */
  home: string;
  /** The environment each command gets, whole (nothing is inherited). */
  env: Record<string, string>;
  pulumi(args: string[], timeoutMs?: number): Promise<CliResult>;
  dispose(): void;
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<CliResult> {
  const child: ChildProcess = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${timeoutMs} ms`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A Pulumi CLI as on a machine with no Node.js: every command's environment is exactly `env`
 * (PATH = the CLI's bin folder only), a local file backend, an empty PULUMI_HOME, and `files`
 * written into a project directory under os.tmpdir().
 */
export function bareCli(name: string, files: Record<string, string>, extraEnv: Record<string, string> = {}): BareCli {
  const cliBin = ensurePulumiCli({ yaml: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `sg-${name}-`));
  const dir = path.join(root, "project");
  const home = path.join(root, "pulumi-home");
  for (const d of [dir, home, path.join(root, "backend"), path.join(root, "user-home")]) fs.mkdirSync(d);
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  const env: Record<string, string> = {
    PATH: cliBin,
    HOME: path.join(root, "user-home"),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${path.join(root, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "false",
    ...extraEnv,
  };
  return {
    root,
    dir,
    home,
    env,
    pulumi: (args, timeoutMs = 180_000) => run(path.join(cliBin, "pulumi"), [...args, "--non-interactive"], dir, env, timeoutMs),
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** Each `node_modules` in `dir` or any folder above it (none, for a program that must not find one). */
export function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "node_modules"))) found.push(path.join(d, "node_modules"));
    if (d === path.dirname(d)) return found;
  }
}

export interface ReleaseServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Where the engine downloads a version from when told this repository's releases are here (no trailing slash). */
  downloadBase: string;
  /** The paths asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A loopback server holding `files` as the assets of GitHub release v<version>:
 * /<owner>/<repo>/releases/download/v<version>/<name>, the layout of github.com's own release
 * downloads. Anything else is a 404.
 */
export async function serveRelease(version: string, files: string[]): Promise<ReleaseServer> {
  const prefix = `/${REPOSITORY}/releases/download/v${version}/`;
  const requests: string[] = [];
  const server = await serveLocally((req, _body, res) => {
    const url = req.url ?? "";
    requests.push(url);
    const file = url.startsWith(prefix) ? files.find((f) => path.basename(f) === decodeURIComponent(url.slice(prefix.length))) : undefined;
    if (req.method !== "GET" || !file) {
      res.writeHead(404).end("not found");
      return;
    }
    const data = fs.readFileSync(file);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": data.length }).end(data);
  });
  return { url: server.url, downloadBase: `${server.url}/${REPOSITORY}/releases/download/v${version}`, requests, close: server.close };
}

/** A Pulumi YAML program of paused batches `names` (an emulator's apiUrl), asking for the plugin at `version`. */
export function yamlProgram(name: string, batches: string[], options: Record<string, string>, extra = ""): string {
  const lines = [`name: ${name}`, "runtime: yaml", "resources:"];
  for (const b of batches) {
    lines.push(`  ${b}:`, "    type: sendgrid-batch:index:ScheduledBatch", "    properties:", "      status: paused");
    const opts = Object.entries(options);
    if (opts.length > 0) lines.push("    options:", ...opts.map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`));
  }
  return `${lines.join("\n")}\n${extra}`;
}
