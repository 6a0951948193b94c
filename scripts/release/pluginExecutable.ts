// The self-contained `pulumi-resource-sendgrid-batch` executable: the plugin (dist/plugin/, built by
// `npm run build`) and the @pulumi/pulumi it is tested with, bundled by esbuild into one script,
// made a Node.js single executable application (SEA: `node --experimental-sea-config` writes the
// blob, postject injects it into a copy of the running `node`), and packed the way the engine
// looks for a plugin: pulumi-resource-sendgrid-batch-v<version>-<os>-<arch>.tar.gz with the
// executable at its root, beside a sha256 checksum file.
//
// It builds for the machine it runs on (a SEA is a copy of this `node`); the release workflow runs
// it once per platform. The executable is cached outside the repository, keyed by a hash of
// everything it is made of (the bundle, this `node`, postject, the SEA settings), so a second build
// of unchanged code copies it instead of rebuilding (docs/testing.md: SENDGRID_BATCH_CACHE).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { SDK_MODULE_IDS, SDK_SERVER } from "../../plugin/sdkModules";
import { REPO_ROOT } from "../lib/repoRoot";

export const PLUGIN_NAME = "pulumi-resource-sendgrid-batch";

/** The engine's names for an OS and an architecture (Go's GOOS/GOARCH). */
const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = { linux: "linux", darwin: "darwin", win32: "windows" };
const ARCH_NAMES: Partial<Record<string, string>> = { x64: "amd64", arm64: "arm64" };

/** The engine's `<os>-<arch>` for this machine. */
export function platformName(): string {
  const osName = OS_NAMES[process.platform];
  const arch = ARCH_NAMES[process.arch];
  if (!osName || !arch)
    throw new Error(
      `no plugin build for ${process.platform}/${process.arch}: the engine supports linux, darwin and windows on x64 and arm64`,
    );
  return `${osName}-${arch}`;
}

/** The package's version: the plugin's, the schema's and every SDK's. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/** The tarball name the engine downloads for this version and platform (plugins.go: standardAssetName). */
export function tarballName(version: string, platform: string): string {
  return `${PLUGIN_NAME}-v${version}-${platform}.tar.gz`;
}

function cacheRoot(): string {
  const base =
    process.env.SENDGRID_BATCH_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-sendgrid-scheduled-batch");
  return path.join(base, "plugin-executable");
}

/**
 * esbuild plugin: dist/plugin/sdkModules.js loads the SDK server's gRPC and protobuf modules with
 * createRequire from the server's directory, which a bundle cannot follow. In the bundle it becomes
 * plain requires of the same ids, resolved from that same directory, so esbuild includes exactly
 * the files the SDK's server uses (one copy of each).
 */
const sdkModulesInBundle: esbuild.Plugin = {
  name: "sdk-modules",
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/]plugin[\\/]sdkModules\.js$/ }, () => {
      const lines = Object.entries(SDK_MODULE_IDS).map(([name, id]) => `exports.${name} = require(${JSON.stringify(id)});`);
      return {
        contents: [`exports.SDK_SERVER = ${JSON.stringify(SDK_SERVER)};`, ...lines].join("\n"),
        loader: "js",
        resolveDir: path.dirname(require.resolve(SDK_SERVER, { paths: [REPO_ROOT] })),
      };
    });
  },
};

/** Bundle dist/plugin/executable.js and everything it requires (no external module but Node's own). */
export async function bundlePlugin(outfile: string): Promise<void> {
  const entry = path.join(REPO_ROOT, "dist", "plugin", "executable.js");
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "eof",
    logLevel: "silent",
    plugins: [sdkModulesInBundle],
  });
  // Any warning (a require esbuild could not follow would be one) is a build failure.
  if (result.warnings.length > 0) {
    const text = await esbuild.formatMessages(result.warnings, { kind: "warning" });
    throw new Error(`bundling the plugin gave warnings:\n${text.join("\n")}`);
  }
}

export interface BuiltExecutable {
  /** The executable itself (in the cache: copy it, never write to it). */
  executable: string;
  /** Whether it came from the cache. */
  cached: boolean;
  /** The cache key (a hash of all its inputs). */
  key: string;
}

/** Builds kept in the cache (each about 100 MB): the newest, so other checkouts' recent builds stay. */
const KEEP_BUILDS = 4;

function pruneCache(keep: number): void {
  const root = cacheRoot();
  const builds = fs
    .readdirSync(root)
    .filter((d) => !d.startsWith("."))
    .map((d) => ({ dir: path.join(root, d), mtime: fs.statSync(path.join(root, d)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(keep)) fs.rmSync(old.dir, { recursive: true, force: true });
}

const postjectVersion = () =>
  (JSON.parse(fs.readFileSync(require.resolve("postject/package.json", { paths: [REPO_ROOT] }), "utf8")) as { version: string }).version;

const exeName = () => (process.platform === "win32" ? `${PLUGIN_NAME}.exe` : PLUGIN_NAME);

/** The executable for this machine, from the cache or built (bundle, SEA blob, postject). */
export async function buildExecutable(log: (line: string) => void = () => {}): Promise<BuiltExecutable> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "sg-plugin-exe-"));
  try {
    const bundle = path.join(work, "plugin.js");
    await bundlePlugin(bundle);
    const seaConfig = { main: bundle, output: path.join(work, "sea.blob"), disableExperimentalSEAWarning: true, useCodeCache: true };
    const key = createHash("sha256")
      .update(fs.readFileSync(bundle))
      .update(JSON.stringify({ ...seaConfig, main: "", output: "" }))
      .update(
        `${process.execPath} ${process.version} ${process.platform} ${process.arch} ${fs.statSync(process.execPath).size} postject ${postjectVersion()}`,
      )
      .digest("hex")
      .slice(0, 20);
    const dir = path.join(cacheRoot(), key);
    const executable = path.join(dir, exeName());
    if (fs.existsSync(executable)) return { executable, cached: true, key };

    log(`building ${exeName()} for ${platformName()} (cache key ${key})`);
    fs.writeFileSync(path.join(work, "sea-config.json"), JSON.stringify(seaConfig));
    execFileSync(process.execPath, ["--experimental-sea-config", path.join(work, "sea-config.json")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const staged = path.join(work, exeName());
    fs.copyFileSync(process.execPath, staged);
    fs.chmodSync(staged, 0o755);
    if (process.platform === "darwin") execFileSync("codesign", ["--remove-signature", staged]);
    const postject = path.join(path.dirname(require.resolve("postject/package.json", { paths: [REPO_ROOT] })), "dist", "cli.js");
    execFileSync(
      process.execPath,
      [
        postject,
        staged,
        "NODE_SEA_BLOB",
        path.join(work, "sea.blob"),
        "--sentinel-fuse",
        "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
        ...(process.platform === "darwin" ? ["--macho-segment-name", "NODE_SEA"] : []),
      ],
      // postject warns about section names it cannot read in some distributions' node (harmless); its
      // output shows only when it fails (in the thrown error).
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    if (process.platform === "darwin") execFileSync("codesign", ["--sign", "-", staged]);
    // Into the cache atomically: a half-written executable is never found.
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const tmpDir = fs.mkdtempSync(path.join(path.dirname(dir), `.${key}-`));
    fs.renameSync(staged, path.join(tmpDir, exeName()));
    try {
      fs.renameSync(tmpDir, dir);
    } catch (err) {
      // Another build of the same inputs got there first: its copy is as good.
      fs.rmSync(tmpDir, { recursive: true, force: true });
      if (!fs.existsSync(executable)) throw err;
    }
    pruneCache(KEEP_BUILDS);
    return { executable, cached: false, key };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export interface PluginTarball {
  tarball: string;
  checksum: string;
  sha256: string;
  version: string;
  platform: string;
  executable: BuiltExecutable;
}

/**
 * Write the plugin tarball (executable at its root) and its checksum file into `outDir`. The
 * tarball is kept beside the cached executable (same key, named by version), so an unchanged plugin
 * is not compressed again and its bytes stay the same.
 */
export async function buildPluginTarball(outDir: string, log: (line: string) => void = () => {}): Promise<PluginTarball> {
  const version = packageVersion();
  const platform = platformName();
  const executable = await buildExecutable(log);
  const name = tarballName(version, platform);
  const cachedTarball = path.join(path.dirname(executable.executable), name);
  if (!fs.existsSync(cachedTarball)) {
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), "sg-plugin-tar-"));
    try {
      fs.copyFileSync(executable.executable, path.join(stage, exeName()));
      fs.chmodSync(path.join(stage, exeName()), 0o755);
      // tar is on every runner (bsdtar on Windows and macOS, GNU tar on Linux); gzip through it. Only
      // relative paths, run in the stage: GNU tar would read a Windows drive letter as a remote host.
      execFileSync("tar", ["-czf", "plugin.tar.gz", exeName()], { cwd: stage, stdio: ["ignore", "ignore", "inherit"] });
      // Into the cache by a rename from the same folder: a half-written tarball is never found.
      const partial = `${cachedTarball}.${process.pid}.partial`;
      fs.copyFileSync(path.join(stage, "plugin.tar.gz"), partial);
      fs.renameSync(partial, cachedTarball);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  const tarball = path.join(outDir, name);
  fs.copyFileSync(cachedTarball, tarball);
  const sha256 = createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");
  const checksum = `${tarball}.sha256`;
  // `sha256sum -c` format: checked with `sha256sum -c <name>.sha256` beside the tarball.
  fs.writeFileSync(checksum, `${sha256}  ${name}\n`);
  return { tarball, checksum, sha256, version, platform, executable };
}
