// The Pulumi package schema of `sendgrid-batch`: what `pulumi package get-schema`, Pulumi YAML,
// `pulumi import`'s code generation, docs tooling and the SDK generator (`npm run sdk`, which writes
// sdk/python, sdk/go and sdk/nodejs) read. Every property, type and enum value has a description.

import { propertySpec, type BatchProperty } from "../core/properties";
import type { BatchStatus, Region } from "../core/types";
import { BATCH_STATUS_TOKEN, PACKAGE, REGION_TOKEN, RESOURCE_TOKEN } from "./names";

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

/**
 * The enum types' values (a value is sent as its plain string, so the wire is that of a string).
 * Pulumi YAML refuses a literal outside them at preview, listing them; each value keeps the name
 * each generator gives it (an explicit `name` would show in that message too).
 */
const STATUS_VALUES: Record<BatchStatus, string> = {
  active: "The batch's mail goes out at its send time.",
  paused: "The batch's mail is held until the batch is resumed (set back to `active`).",
  cancelled: "The batch's mail is discarded at its send time.",
};
const REGION_VALUES: Record<Region, string> = {
  global: "api.sendgrid.com (the default).",
  eu: "api.eu.sendgrid.com, SendGrid's EU data residency.",
};
const enumValues = (values: Record<string, string>) => Object.entries(values).map(([value, description]) => ({ value, description }));

const TYPES = {
  [BATCH_STATUS_TOKEN]: {
    type: "string",
    description: "The status of a scheduled-send batch.",
    enum: enumValues(STATUS_VALUES),
  },
  [REGION_TOKEN]: {
    type: "string",
    description: "A SendGrid data-residency region: which API host the account lives on.",
    enum: enumValues(REGION_VALUES),
  },
};

// The properties' descriptions are the core's property table's (core/properties.ts).
const described = (name: BatchProperty) => propertySpec(name).description;

const STATUS = { $ref: `#/types/${BATCH_STATUS_TOKEN}`, description: described("status") };
const SEND_AT = { oneOf: [{ type: "integer" }, { type: "string" }], description: described("sendAt") };
const BATCH_ID_INPUT = { type: "string", description: `${described("batchId")} \`pulumi import\` sets it for you.` };

const CONFIG = {
  apiKey: {
    type: "string",
    secret: true,
    description:
      "The SendGrid API key (scopes `mail.batch.*` and `user.scheduled_sends.*`). Set it as a secret " +
      "(`pulumi config set --secret sendgrid-batch:apiKey …`) or leave it out and set the `SENDGRID_API_KEY` environment variable. " +
      "Changing it does not replace any batch.",
  },
  region: { $ref: `#/types/${REGION_TOKEN}`, description: described("region") },
  onBehalfOf: { type: "string", description: described("onBehalfOf") },
  apiUrl: { type: "string", description: described("apiUrl") },
};

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
      inputProperties: { status: STATUS, sendAt: SEND_AT, batchId: BATCH_ID_INPUT },
      properties: {
        batchId: { type: "string", description: "The SendGrid batch id: use it as `batch_id` in Mail Send requests." },
        status: {
          $ref: `#/types/${BATCH_STATUS_TOKEN}`,
          description: "The status SendGrid holds for the batch: `active`, `paused` or `cancelled`.",
        },
        sendAt: SEND_AT,
        adopted: {
          type: "boolean",
          description: "True when the batch already existed (adopted through `batchId` or `pulumi import`) rather than created.",
        },
      },
      required: ["batchId", "status", "adopted"],
    },
  },
};
