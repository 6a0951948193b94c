// The Pulumi package schema of `sendgrid-batch`: what `pulumi package get-schema`, Pulumi YAML,
// `pulumi import`'s code generation and docs tooling read. Every property has a description.

import { PACKAGE, RESOURCE_TOKEN } from "./names";

const STATUS = {
  type: "string",
  description:
    "`active` (the batch's mail goes out at its send time), `paused` (held until resumed) or `cancelled` (discarded at its send time). " +
    "Changing it updates the batch in place with exactly one SendGrid call. Default: `active`.",
};
const SEND_AT = {
  oneOf: [{ type: "integer" }, { type: "string" }],
  description:
    "When the batch's mail is scheduled: Unix seconds or an ISO 8601 date-time with a zone. Used only for SendGrid's timing rules at preview " +
    "(no pause or cancel later than 10 minutes before send_at; send_at at most 72 hours ahead); changing it makes no SendGrid call.",
};
const BATCH_ID_INPUT = {
  type: "string",
  description:
    "Adopt this existing SendGrid batch id instead of creating a new batch. Naming another batch later replaces the resource " +
    "(the old batch is cancelled). `pulumi import` sets it for you.",
};

const CONFIG = {
  apiKey: {
    type: "string",
    secret: true,
    description:
      "The SendGrid API key (scopes `mail.batch.*` and `user.scheduled_sends.*`). Set it as a secret " +
      "(`pulumi config set --secret sendgrid-batch:apiKey …`) or leave it out and set the `SENDGRID_API_KEY` environment variable. " +
      "Changing it does not replace any batch.",
  },
  region: {
    type: "string",
    description:
      "`global` (api.sendgrid.com, the default) or `eu` (api.eu.sendgrid.com). Another region is another account: its batches are replaced.",
  },
  onBehalfOf: {
    type: "string",
    description:
      "A subuser's username (or `account-id <id>`), sent as SendGrid's `on-behalf-of` header. Another subuser is another account: its batches are replaced.",
  },
  apiUrl: {
    type: "string",
    description:
      "The API origin, e.g. a local SendGrid emulator (`http://127.0.0.1:3030`): https, or http for loopback hosts only, without a path. " +
      "Overrides `region`. Another host is another account: its batches are replaced.",
  },
};

export const SCHEMA = {
  name: PACKAGE,
  displayName: "SendGrid scheduled-send batches",
  description: "Twilio SendGrid scheduled-send batches (pause, cancel, resume mail scheduled with a batch_id) as Pulumi resources.",
  keywords: ["sendgrid", "email", "category/utility"],
  license: "Apache-2.0",
  config: { variables: CONFIG },
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
        status: { type: "string", description: "The status SendGrid holds for the batch: `active`, `paused` or `cancelled`." },
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
