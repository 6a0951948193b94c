// The plugin as an installed package beside a chosen @pulumi/pulumi: a temporary directory with
// this checkout's package.json, bin/ and the compiled dist/core and dist/plugin (copies: Node.js
// resolves a symlinked file from its real path, which would find the checkout's node_modules), and
// a node_modules holding that SDK and the plugin's one dependency. Outside the checkout, so no
// other @pulumi/pulumi can be found from it.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/engine";

export interface PluginPackage {
  /** The package's root. */
  root: string;
  /** The directory of its plugin executable (what a Pulumi.yaml's plugins.providers path names). */
  binDir: string;
  /** Resolve a module id as the plugin's own code does (from dist/plugin/). */
  resolve(id: string): string;
  dispose(): void;
}

function link(target: string, at: string): void {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at, "dir");
}

/** The directory of package `name` as Node.js resolves it from the file `from`. */
export function packageDirFrom(from: string, name: string): string {
  const pkgJson = createRequire(from).resolve(`${name}/package.json`);
  return path.dirname(pkgJson);
}

/** The plugin packaged with the @pulumi/pulumi installed at `sdkDir`. */
export function pluginWithSdk(sdkDir: string): PluginPackage {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "sg-plugin-sdk-"));
  fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(root, "package.json"));
  fs.cpSync(path.join(REPO_ROOT, "bin"), path.join(root, "bin"), { recursive: true });
  for (const dir of ["core", "plugin"]) fs.cpSync(path.join(REPO_ROOT, "dist", dir), path.join(root, "dist", dir), { recursive: true });
  link(sdkDir, path.join(root, "node_modules", "@pulumi", "pulumi"));
  const sendgrid = packageDirFrom(path.join(REPO_ROOT, "dist", "core", "index.js"), "@sendgrid/client");
  link(sendgrid, path.join(root, "node_modules", "@sendgrid", "client"));
  const from = path.join(root, "dist", "plugin", "main.js");
  return {
    root,
    binDir: path.join(root, "bin"),
    resolve: (id) => createRequire(from).resolve(id),
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
