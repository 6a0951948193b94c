import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root, found upward from this file (it runs from source or compiled under dist/). */
export const REPO_ROOT = findUp(__dirname, "package.json");

function findUp(from: string, file: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, file))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no ${file} above ${from}`);
  }
}
