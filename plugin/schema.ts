// The Pulumi package schema of `sendgrid-batch`: what `pulumi package get-schema`, Pulumi YAML,
// `pulumi import`'s code generation, docs tooling and the SDK generator (`npm run sdk`, which writes
// sdk/python, sdk/go and sdk/nodejs) read. Every property, type and enum value has a description.

import { propertySpec, type BatchProperty } from "../core/properties";
import type { BatchStatus, Region } from "../core/types";
import { BATCH_STATUS_TOKEN, PACKAGE, REGION_TOKEN, RESOURCE_TOKEN } from "./names";

/** Where the package is published and developed; the Go SDK's module path is the repository's. */
const HOMEPAGE = "https://www.npmjs.com/package/pulumi-sendgrid-scheduled-batch";
const REPOSITORY = "https://github.com/pulumi-sendgrid-scheduled-batch/pulumi-sendgrid-scheduled-batch";
const GO_MODULE = `${REPOSITORY.replace(/^https:\/\//, "")}/sdk/go`;

/**
 * What each generated SDK is called. `respectSchemaVersion`: the SDKs carry the schema's version
 * (package.json's, added by the plugin) instead of 0.0.0 / ${VERSION} placeholders.
 */
const LANGUAGE = {
  python: { packageName: "pulumi_sendgrid_batch", respectSchemaVersion: true, pyproject: { enabled: true } },
  go: { importBasePath: `${GO_MODULE}/sendgridbatch`, respectSchemaVersion: true },
  nodejs: { packageName: "pulumi-sendgrid-batch", respectSchemaVersion: true },
};

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

export const SCHEMA = {
  name: PACKAGE,
  displayName: "SendGrid scheduled-send batches",
  description: "Twilio SendGrid scheduled-send batches (pause, cancel, resume mail scheduled with a batch_id) as Pulumi resources.",
  keywords: ["sendgrid", "email", "category/utility"],
  homepage: HOMEPAGE,
  repository: REPOSITORY,
  license: "Apache-2.0",
  // The generators write the version everywhere and give sdk/go its own go.mod (a module of its own).
  meta: { supportPack: true },
  language: LANGUAGE,
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
