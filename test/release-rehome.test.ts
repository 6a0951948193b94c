// A release from any repository (scripts/release/rehome.ts, run by each release job with the
// repository running it): rewriting the one spelling of the repository in a copy of the checkout
// gives exactly the SDKs the generator makes of the rehomed schema, the download URL and Go module
// path of the new home, and nothing left naming the old one.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sendgridBatchProvider } from "../plugin/provider";
import { githubRepository, type PackageInfo } from "../plugin/schema";
import { REPO_ROOT } from "../scripts/lib/engine";
import { rehome } from "../scripts/release/rehome";
import { generateSdks, staleSdkFiles } from "./support/sdkTree";

const HOME = "acme-mail/sendgrid-batches";
let tmp = "";
let copy = "";
let from = "";
let changed: string[] = [];
let gofmt = "";

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sg-rehome-"));
  copy = path.join(tmp, "checkout");
  // The checkout's tracked files (as they are in the work tree), in a repository of their own.
  const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: REPO_ROOT }).toString().split("\0").filter(Boolean);
  for (const f of tracked) {
    if (!fs.existsSync(path.join(REPO_ROOT, f))) continue;
    fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, f), path.join(copy, f));
  }
  execFileSync("git", ["init", "-q"], { cwd: copy });
  execFileSync("git", ["add", "-A"], { cwd: copy });
  ({ from, changed, gofmt } = rehome(copy, HOME));
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const pkgOf = (root: string) => JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as PackageInfo & { name: string };

test("rehoming rewrites package.json, the SDKs, the Go module and the construct library, and leaves no file naming the old repository", () => {
  expect(from).toBe(githubRepository(pkgOf(REPO_ROOT).repository));
  expect(from).not.toBe(HOME);
  expect(gofmt).toBe("done");
  expect(githubRepository(pkgOf(copy).repository)).toBe(HOME);
  expect(changed).toEqual(
    expect.arrayContaining([
      "package.json",
      "sdk/go/go.mod",
      "sdk/python/pyproject.toml",
      "sdk/nodejs/package.json",
      "cdk-constructs/package.json",
    ]),
  );
  expect(fs.readFileSync(path.join(copy, "sdk", "go", "go.mod"), "utf8").split("\n")[0]).toBe(`module github.com/${HOME}/sdk/go`);
  // git grep: status 1 and no output when no tracked file holds the string.
  const left = spawnSync("git", ["grep", "-l", "-F", `github.com/${from}`], { cwd: copy, encoding: "utf8" });
  expect({ status: left.status, files: left.stdout }).toEqual({ status: 1, files: "" });
});

test("the rehomed schema downloads the plugin from the new repository's releases and names its Go module there", () => {
  const schema = JSON.parse(sendgridBatchProvider(pkgOf(copy)).provider.schema ?? "") as {
    pluginDownloadURL: string;
    repository: string;
    language: { go: { importBasePath: string } };
  };
  expect({ url: schema.pluginDownloadURL, repository: schema.repository, go: schema.language.go.importBasePath }).toEqual({
    url: `github://api.github.com/${HOME}`,
    repository: `https://github.com/${HOME}`,
    go: `github.com/${HOME}/sdk/go/sendgridbatch`,
  });
});

test("the rehomed sdk/ is exactly what the generator makes of the rehomed schema (rewriting is regenerating)", () => {
  const schema = path.join(tmp, "schema.json");
  fs.writeFileSync(schema, sendgridBatchProvider(pkgOf(copy)).provider.schema ?? "");
  const out = path.join(tmp, "generated");
  generateSdks(schema, out);
  expect(staleSdkFiles(copy, out)).toEqual([]);
}, 900_000);

test("rehoming again to the same repository changes nothing, and a name that is not <owner>/<repo> is refused", () => {
  expect(rehome(copy, HOME)).toEqual({ from: HOME, changed: [], gofmt: "none" });
  expect(() => rehome(copy, "https://github.com/acme/x")).toThrow(/is not a GitHub <owner>\/<repo>/);
  expect(() => rehome(copy, "acme")).toThrow(/is not a GitHub <owner>\/<repo>/);
});
