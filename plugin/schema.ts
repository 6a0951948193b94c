// The Pulumi package schema of `sendgrid-batch`: what `pulumi package get-schema`, Pulumi YAML,
// `pulumi import`'s code generation, docs tooling and the SDK generator (`npm run sdk`, which writes
// sdk/python, sdk/go and sdk/nodejs) read. Every property, type and enum value has a description.
// The properties, enums, defaults' wording and `required` are the core's property table's
// (core/properties.ts); this file adds the package's own settings.

import {
  ACCOUNT_PROPERTIES,
  ADOPTED_OUTPUT,
  API_KEY_PROPERTY,
  BATCH_PROPERTIES,
  RESOURCE_PROPERTIES,
  propertySpec,
  type BatchProperty,
  type EnumSpec,
  type PropertySpec,
} from "../core/properties";
import { PACKAGE, RESOURCE_TOKEN } from "./names";

/**
 * What the schema takes from package.json: the version, and `repository`, the one setting naming
 * the GitHub repository that publishes releases. From it come the schema's `repository`, the Go
 * SDK's module path, and `pluginDownloadURL` (each SDK's pulumi-plugin.json `server`): the engine
 * downloads pulumi-resource-sendgrid-batch-v<version>-<os>-<arch>.tar.gz from that repository's
 * GitHub release v<version>. npm's provenance needs the same field to name the repository that
 * publishes, and the release workflow refuses to run anywhere else (.github/workflows/release.yml).
 */
export interface PackageInfo {
  version: string;
  repository: string | { url: string };
}

/** Where the package is documented. */
const HOMEPAGE = "https://www.npmjs.com/package/pulumi-sendgrid-scheduled-batch";

/** `owner/name` of the GitHub repository package.json's `repository` names (any npm spelling of it). */
export function githubRepository(repository: PackageInfo["repository"]): string {
  const url = typeof repository === "string" ? repository : repository.url;
  const m =
    /^(?:git\+)?(?:https:\/\/|ssh:\/\/git@|git:\/\/)?github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url) ??
    /^(?:github:)?([\w.-]+)\/([\w.-]+)$/.exec(url);
  if (!m)
    throw new Error(
      `package.json's repository (${url}) is not a GitHub repository: the release layout the engine downloads from is a GitHub release`,
    );
  return `${m[1]}/${m[2]}`;
}

/** The engine's download source for the plugin: the repository's GitHub releases (plugins.go's github:// form). */
export const pluginDownloadURL = (repository: PackageInfo["repository"]) => `github://api.github.com/${githubRepository(repository)}`;

/**
 * What each generated SDK is called. `respectSchemaVersion`: the SDKs carry the schema's version
 * (package.json's) instead of 0.0.0 / ${VERSION} placeholders.
 */
const language = (goModule: string) => ({
  python: { packageName: "pulumi_sendgrid_batch", respectSchemaVersion: true, pyproject: { enabled: true } },
  go: { importBasePath: `${goModule}/sendgridbatch`, respectSchemaVersion: true },
  nodejs: { packageName: "pulumi-sendgrid-batch", respectSchemaVersion: true },
});

/** Where the plugin says more than the table: what `pulumi import` does for `batchId`. */
const NOTES: Partial<Record<string, string>> = { batchId: "`pulumi import` sets it for you." };
const described = (name: string, description: string) => ({ description: NOTES[name] ? `${description} ${NOTES[name]}` : description });

const enumToken = (e: EnumSpec) => `${PACKAGE}:index:${e.name}`;

/** A property's schema type: its enum type, an integer or a string, or a string. */
function typeOf(p: PropertySpec) {
  if (p.enum) return { $ref: `#/types/${enumToken(p.enum)}` };
  return p.type === "integer-or-string" ? { oneOf: [{ type: "integer" }, { type: "string" }] } : { type: "string" };
}

const rows = (names: readonly BatchProperty[]) => names.map(propertySpec);
const inputsOf = (specs: readonly PropertySpec[]) =>
  Object.fromEntries(specs.map((p) => [p.name, { ...typeOf(p), ...described(p.name, p.description) }]));

/**
 * The enum types (a value is sent as its plain string, so the wire is that of a string). Pulumi YAML
 * refuses a literal outside them at preview, listing them; each value keeps the name each generator
 * gives it (an explicit `name` would show in that message too).
 */
const TYPES = Object.fromEntries(
  BATCH_PROPERTIES.flatMap((p: PropertySpec) => (p.enum ? [p.enum] : [])).map((e) => [
    enumToken(e),
    {
      type: "string",
      description: e.description,
      enum: Object.entries(e.values).map(([value, v]) => ({ value, description: v.description })),
    },
  ]),
);

/** The provider's configuration: the key (a secret), then the account properties. */
const CONFIG = {
  [API_KEY_PROPERTY.name]: {
    type: "string",
    secret: API_KEY_PROPERTY.secret,
    ...described(API_KEY_PROPERTY.name, API_KEY_PROPERTY.description),
  },
  ...inputsOf(rows(ACCOUNT_PROPERTIES)),
};

/** What state reports: each property the table gives an output, then whether the batch was adopted. */
const OUTPUTS = {
  ...Object.fromEntries(
    (BATCH_PROPERTIES as readonly PropertySpec[]).flatMap((p) =>
      p.output ? [[p.name, { ...typeOf(p), description: p.output.description ?? p.description }]] : [],
    ),
  ),
  [ADOPTED_OUTPUT.name]: { type: "boolean", description: ADOPTED_OUTPUT.description },
};
/** The outputs every operation sets: what SendGrid holds, and `adopted`. */
const REQUIRED = [
  ...(BATCH_PROPERTIES as readonly PropertySpec[]).filter((p) => p.output?.source === "held").map((p) => p.name),
  ADOPTED_OUTPUT.name,
];

/** The package schema at package.json's version and repository (what GetSchema serves). */
export const packageSchema = (pkg: PackageInfo) => {
  const repository = `https://github.com/${githubRepository(pkg.repository)}`;
  return {
    ...SCHEMA,
    version: pkg.version,
    repository,
    pluginDownloadURL: pluginDownloadURL(pkg.repository),
    // The Go SDK is a module of its own in the repository's sdk/go (its tags: sdk/go/v<version>).
    language: language(`${repository.replace(/^https:\/\//, "")}/sdk/go`),
  };
};

const SCHEMA = {
  name: PACKAGE,
  displayName: "SendGrid scheduled-send batches",
  description: "Twilio SendGrid scheduled-send batches (pause, cancel, resume mail scheduled with a batch_id) as Pulumi resources.",
  keywords: ["sendgrid", "email", "category/utility"],
  homepage: HOMEPAGE,
  license: "Apache-2.0",
  // The generators write the version everywhere and give sdk/go its own go.mod (a module of its own).
  meta: { supportPack: true },
  config: { variables: CONFIG },
  types: TYPES,
  provider: {
    description:
      "The SendGrid account a set of ScheduledBatch resources belongs to. Several accounts or subusers: several provider instances.",
    inputProperties: CONFIG,
  },
  resources: {
    [RESOURCE_TOKEN]: {
      description:
        "One SendGrid scheduled-send batch. Creating it mints a batch id (use it as `batch_id`, with `send_at`, in Mail Send requests); " +
        "`status` pauses, cancels or resumes the batch's mail; deleting it cancels the batch (never releases its mail).",
      inputProperties: inputsOf(rows(RESOURCE_PROPERTIES)),
      properties: OUTPUTS,
      required: REQUIRED,
    },
  },
};
