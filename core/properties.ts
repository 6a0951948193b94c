// ScheduledBatch's properties, stated once: name, CloudFormation name, type, default, what a change
// does, and the description every adapter shows (the plugin's schema, the Lambda's property names,
// the policy's account grouping, the dynamic provider's account inputs; the typed args' doc comments
// are checked against it by test/resource-properties.test.ts). And the resource's type tokens.
// Pure data: no I/O.

import { BATCH_STATUSES, REGIONS, type BatchStatus, type Region } from "./types";

/**
 * What changing a property does: `update` in place, `replace` the batch (another batch id), or
 * `account`: another SendGrid account, so another batch (a replace) when the account really changes.
 */
export type OnChange = "update" | "replace" | "account";

export interface PropertySpec {
  /** The name in Pulumi programs and the core (camelCase). */
  readonly name: string;
  /** The name in a CloudFormation template (PascalCase). */
  readonly cfnName: string;
  /** The JSON type(s) a program may give. */
  readonly type: "string" | "integer-or-string";
  /** The allowed values, when they are a closed set. */
  readonly values?: readonly string[];
  readonly default?: string;
  readonly onChange: OnChange;
  /** For people: what it is, its values and default, and what a change does. */
  readonly description: string;
}

export const DEFAULT_STATUS: BatchStatus = "active";
export const DEFAULT_REGION: Region = "global";

export const BATCH_PROPERTIES = [
  {
    name: "status",
    cfnName: "Status",
    type: "string",
    values: BATCH_STATUSES,
    default: DEFAULT_STATUS,
    onChange: "update",
    description:
      "`active` (the batch's mail goes out at its send time), `paused` (held until resumed) or `cancelled` (discarded at its send time). " +
      "Changing it updates the batch in place with exactly one SendGrid call. Default: `active`.",
  },
  {
    name: "sendAt",
    cfnName: "SendAt",
    type: "integer-or-string",
    onChange: "update",
    description:
      "When the batch's mail is scheduled: Unix seconds or an ISO 8601 date-time with a zone. Used only for SendGrid's timing rules at preview " +
      "(no pause or cancel later than 10 minutes before send_at; send_at at most 72 hours ahead); changing it makes no SendGrid call.",
  },
  {
    name: "batchId",
    cfnName: "BatchId",
    type: "string",
    onChange: "replace",
    description:
      "Adopt this existing SendGrid batch id instead of creating a new batch. Naming another batch later replaces the resource " +
      "(the old batch is cancelled).",
  },
  {
    name: "onBehalfOf",
    cfnName: "OnBehalfOf",
    type: "string",
    onChange: "account",
    description:
      "A subuser's username (or `account-id <id>`), sent as SendGrid's `on-behalf-of` header. Another subuser is another account: its batches are replaced.",
  },
  {
    name: "region",
    cfnName: "Region",
    type: "string",
    values: REGIONS,
    default: DEFAULT_REGION,
    onChange: "account",
    description:
      "`global` (api.sendgrid.com, the default) or `eu` (api.eu.sendgrid.com). Another region is another account: its batches are replaced.",
  },
  {
    name: "apiUrl",
    cfnName: "ApiUrl",
    type: "string",
    onChange: "account",
    description:
      "The API origin, e.g. a local SendGrid emulator (`http://127.0.0.1:3030`): https, or http for loopback hosts only, without a path. " +
      "Overrides `region`. Another host is another account: its batches are replaced.",
  },
] as const satisfies readonly PropertySpec[];

export type BatchProperty = (typeof BATCH_PROPERTIES)[number]["name"];
type AccountProperty = Extract<(typeof BATCH_PROPERTIES)[number], { onChange: "account" }>["name"];
type ResourceProperty = Exclude<BatchProperty, AccountProperty>;

/** Every input of the resource, in the order people read them. */
export const INPUT_PROPERTIES = BATCH_PROPERTIES.map((p) => p.name) as readonly BatchProperty[];
/** The inputs that name the SendGrid account (a provider's configuration in the plugin). */
export const ACCOUNT_PROPERTIES = BATCH_PROPERTIES.filter((p) => p.onChange === "account").map((p) => p.name) as readonly AccountProperty[];
/** The inputs that describe the batch itself. */
export const RESOURCE_PROPERTIES = BATCH_PROPERTIES.filter((p) => p.onChange !== "account").map(
  (p) => p.name,
) as readonly ResourceProperty[];

/** One property's row. */
export function propertySpec(name: BatchProperty): PropertySpec {
  return BATCH_PROPERTIES.find((p) => p.name === name) as PropertySpec;
}

/** The resource's type, as each host names it. */
export const TYPE_TOKENS = {
  /** The dynamic resource's module and type: the engine spells it `pulumi-nodejs:dynamic/sendgrid:ScheduledBatch`. */
  dynamicModule: "sendgrid",
  typeName: "ScheduledBatch",
  dynamic: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch",
  /** The provider plugin's package and resource. */
  pluginPackage: "sendgrid-batch",
  plugin: "sendgrid-batch:index:ScheduledBatch",
  cloudFormation: "Custom::SendGridScheduledBatch",
} as const;

/** Whether a state's or policy's resource type is a ScheduledBatch of either Pulumi adapter. */
export function isScheduledBatchType(type: unknown): boolean {
  return type === TYPE_TOKENS.dynamic || type === TYPE_TOKENS.plugin;
}
