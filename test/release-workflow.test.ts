// The release workflow (.github/workflows/release.yml; actionlint runs over it in
// workflows-actionlint.test.ts) publishes what the tests build: every artifact name `npm run dist`
// writes matches a path the workflow uploads, the plugin is built for each platform the engine
// downloads for, each job asks for its own permissions and every action is pinned by commit. And
// its first step, scripts/release/check.ts, refuses a tag package.json does not name; the repository is
// the release's input (each building job rehomes the checkout to it, scripts/release/rehome.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pkg from "../package.json";
import { REPO_ROOT } from "../scripts/lib/engine";
import { releaseProblems } from "../scripts/release/check";
import { PLUGIN_NAME, tarballName } from "../scripts/release/pluginExecutable";

const workflow = fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "release.yml"), "utf8");
const PLATFORMS = ["linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64", "windows-arm64"];

/** The file globs the workflow names (upload paths, publish arguments), with ${{ matrix.x }} as a wildcard. */
function globs(): RegExp[] {
  const text = workflow.replace(/\$\{\{\s*matrix\.\w+\s*\}\}/g, "*").replace(/\$\{\{\s*github\.ref_name\s*\}\}/g, "*");
  return [...text.matchAll(/(?:dist-release\/)([\w.*-]+)/g)].map(
    ([, g]) => new RegExp(`^${g.replace(/[.]/g, "\\.").replace(/\*/g, "[^/]*")}$`),
  );
}

/** The jobs' blocks of text, by id. */
function jobs(): Record<string, string> {
  const body = workflow.slice(workflow.indexOf("\njobs:\n") + 7);
  const out: Record<string, string> = {};
  for (const part of body.split(/\n(?= {2}[\w-]+:\n)/)) {
    const m = /^ {2}([\w-]+):\n/.exec(part);
    if (m) out[m[1]] = part;
  }
  return out;
}

test("every artifact the tests build is named by a path the workflow uploads or publishes", () => {
  const v = pkg.version;
  const artifacts = [
    ...PLATFORMS.flatMap((p) => [tarballName(v, p), `${tarballName(v, p)}.sha256`]),
    `pulumi-sendgrid-scheduled-batch-${v}.tgz`,
    `pulumi_sendgrid_batch-${v}.tar.gz`,
    `pulumi_sendgrid_batch-${v}-py3-none-any.whl`,
  ];
  const named = globs();
  expect(artifacts.filter((a) => !named.some((g) => g.test(a)))).toEqual([]);
});

test("the plugin is built on a runner of each of the six platforms the engine downloads for, each with its own Node.js", () => {
  const matrix = [...workflow.matchAll(/\{ os: (\w+), arch: (\w+), runner: ([\w.-]+) \}/g)].map(([, os, arch]) => `${os}-${arch}`);
  expect(matrix.sort()).toEqual([...PLATFORMS].sort());
  expect(jobs().plugin).toContain("actions/setup-node@");
  // The release waits for all six and refuses to publish with one missing.
  for (const p of PLATFORMS) expect(jobs()["github-release"]).toContain(p);
  expect(jobs()["github-release"]).toContain(PLUGIN_NAME);
});

test("every job declares its permissions (none by default) and every action is pinned by a commit", () => {
  expect(workflow).toMatch(/^permissions: \{\}$/m);
  const all = jobs();
  expect(Object.keys(all).sort()).toEqual(["check", "github-release", "go", "npm", "packages", "plugin", "pypi", "test"]);
  for (const [id, text] of Object.entries(all)) expect([id, /\n {4}permissions:\n/.test(text)]).toEqual([id, true]);
  // Writes only where a job publishes: the release and the Go tag (contents), npm and PyPI (an OIDC token).
  const writers = Object.entries(all)
    .filter(([, t]) => /: write/.test(t))
    .map(([id]) => id)
    .sort();
  expect(writers).toEqual(["github-release", "go", "npm", "pypi"]);
  const uses = [...workflow.matchAll(/uses: ([^\s#]+)/g)].map(([, u]) => u);
  expect(uses.length).toBeGreaterThan(0);
  expect(uses.filter((u) => !/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(u))).toEqual([]);
});

test("on a v* tag it publishes npm with provenance, PyPI by trusted publishing and the Go SDK's sdk/go/<tag>", () => {
  expect(workflow).toMatch(/on:\n {2}push:\n {4}tags: \["v\*"\]/);
  expect(jobs().npm).toMatch(/npm publish .*--provenance/);
  expect(jobs().pypi).toContain("pypa/gh-action-pypi-publish@");
  expect(jobs().pypi).toContain("id-token: write");
  expect(jobs().go).toContain('git tag "sdk/go/$GITHUB_REF_NAME" HEAD');
  expect(jobs().check).toContain('check.js "$GITHUB_REF_NAME"');
});

test("the repository running the release is every artifact's: each job that builds or tags rehomes the checkout to it first", () => {
  const rehomes = 'rehome.js "$GITHUB_REPOSITORY"';
  for (const [job, first] of [
    ["plugin", "release/index.js --only plugin"],
    ["packages", "release/index.js --only npm"],
    ["go", 'git tag "sdk/go/'],
  ]) {
    const text = jobs()[job];
    expect([job, text.includes(rehomes) && text.indexOf(rehomes) < text.indexOf(first)]).toEqual([job, true]);
  }
  // Built again after the rewrite: dist/ holds a copy of package.json.
  expect(jobs().plugin).toContain(`${rehomes} && npm run --silent build`);
  expect(jobs()["github-release"]).toContain("go get github.com/$GITHUB_REPOSITORY/sdk/go@$GITHUB_REF_NAME");
});

test("the release check passes only the tag v<version>", () => {
  expect(releaseProblems(`v${pkg.version}`, pkg)).toEqual([]);
  expect(releaseProblems("v9.9.9", pkg)).toEqual([expect.stringContaining(`package.json's version is ${pkg.version}`)]);
});

test("the install instructions (README, docs/sdks.md) name no repository but the release's <owner>/<repo>, and no npm for Python or Go", () => {
  for (const doc of ["README.md", path.join("docs", "sdks.md")]) {
    const text = fs.readFileSync(path.join(REPO_ROOT, doc), "utf8");
    const commands = text
      .split("\n")
      .filter((line) => /go get |pip install |plugin install |pluginDownloadURL: |go mod edit /.test(line))
      .join("\n");
    const named = [...commands.matchAll(/(?:github\.com|github:\/\/api\.github\.com)\/([\w.<>-]+\/[\w.<>-]+)/g)].map(([, r]) => r);
    expect([doc, named.length > 0]).toEqual([doc, true]);
    expect([doc, [...new Set(named)]]).toEqual([doc, ["<owner>/<repo>"]]);
    // pip from PyPI or a built wheel, the plugin by the engine: no git+https SDK, no global npm plugin.
    expect([doc, /git\+https:|npm install -g/.test(text)]).toEqual([doc, false]);
  }
});
