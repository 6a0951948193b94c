// ScheduledBatch's properties, stated once: every adapter is made from this table. Per property:
// its name in programs and in CloudFormation templates, its JSON type, its closed set of values (an
// enum, each value described), its default, what a change does, whether state reports it back, and
// the description people read. From it come the plugin's schema (plugin/schema.ts), input
// validation's structure (core/validate.ts: the types, enums, defaults and unknown keys; SendGrid's
// own rules stay code keyed by property), the resource model's replace decisions (core/model.ts),
// the Lambda's property names (lambda/properties.ts), and the generated files `npm run generate`
// writes (scripts/generate.ts: the typed args of both Pulumi adapters, the CDK props and enums, the
// docs' property tables). And the resource's type tokens and CloudFormation attributes.
// Pure data: no I/O.

/**
 * What changing a property does: `update` in place, `replace` the batch (another batch id), or
 * `account`: another SendGrid account, so another batch (a replace) when the account really changes.
 */
export type OnChange = "update" | "replace" | "account";

/** A closed set of values: its type's name in the plugin's schema and the CDK, and each value described. */
export interface EnumSpec {
  /** The type's name (`sendgrid-batch:index:<name>` in the schema, the CDK's enum). */
  readonly name: string;
  readonly description: string;
  /** Each value, in the order people read them: what it means, and a short label for a refusal's wording. */
  readonly values: Readonly<Record<string, { readonly description: string; readonly label?: string }>>;
}

/**
 * What state reports of a property after each operation: `held`, what SendGrid holds (always
 * present, a CloudFormation attribute when `attribute`); `declared`, the value as the program
 * declared it (no SendGrid call reads or changes it).
 */
export interface OutputSpec {
  readonly source: "held" | "declared";
  /** For people, when it says more than the input's description. */
  readonly description?: string;
  /** The name of the CloudFormation attribute (`Fn::GetAtt`) carrying it, for a `held` output. */
  readonly attribute?: string;
}

export interface PropertySpec {
  /** The name in Pulumi programs and the core (camelCase). */
  readonly name: string;
  /** The name in a CloudFormation template (PascalCase). */
  readonly cfnName: string;
  /** The JSON type(s) a program may give. */
  readonly type: "string" | "integer-or-string";
  /** The allowed values, when they are a closed set. */
  readonly enum?: EnumSpec;
  /** The value an absent property means. */
  readonly default?: string;
  readonly onChange: OnChange;
  /** For people: what it is, its values and default, and what a change does. */
  readonly description: string;
  /** What state reports of it (absent: only the dynamic resource, which echoes every input). */
  readonly output?: OutputSpec;
}

/** The status of a batch: what each value does to the batch's mail. */
export const STATUS_ENUM = {
  name: "BatchStatus",
  description: "The status of a scheduled-send batch.",
  values: {
    active: { description: "The batch's mail goes out at its send time." },
    paused: { description: "The batch's mail is held until the batch is resumed (set back to `active`)." },
    cancelled: { description: "The batch's mail is discarded at its send time." },
  },
} as const satisfies EnumSpec;

/** The lifecycle state of a scheduled-send batch, as this project names it. */
export type BatchStatus = keyof typeof STATUS_ENUM.values;
export const BATCH_STATUSES = Object.keys(STATUS_ENUM.values) as readonly BatchStatus[];

/** SendGrid's data-residency regions: which API host each names. */
export const REGION_ENUM = {
  name: "Region",
  description: "A SendGrid data-residency region: which API host the account lives on.",
  values: {
    global: { description: "api.sendgrid.com (the default).", label: "api.sendgrid.com" },
    eu: { description: "api.eu.sendgrid.com, SendGrid's EU data residency.", label: "api.eu.sendgrid.com" },
  },
} as const satisfies EnumSpec;

/** SendGrid's data-residency regions (`global` → api.sendgrid.com, `eu` → api.eu.sendgrid.com). */
export type Region = keyof typeof REGION_ENUM.values;
export const REGIONS = Object.keys(REGION_ENUM.values) as readonly Region[];

export const BATCH_PROPERTIES = [
  {
    name: "status",
    cfnName: "Status",
    type: "string",
    enum: STATUS_ENUM,
    default: "active",
    onChange: "update",
    description:
      "`active` (the batch's mail goes out at its send time), `paused` (held until resumed) or `cancelled` (discarded at its send time). " +
      "Changing it updates the batch in place with exactly one SendGrid call. Default: `active`.",
    output: {
      source: "held",
      description: "The status SendGrid holds for the batch: `active`, `paused` or `cancelled`.",
      attribute: "Status",
    },
  },
  {
    name: "sendAt",
    cfnName: "SendAt",
    type: "integer-or-string",
    onChange: "update",
    description:
      "When the batch's mail is scheduled: Unix seconds or an ISO 8601 date-time with a zone. Used only for SendGrid's timing rules at preview " +
      "(no pause or cancel later than 10 minutes before send_at; send_at at most 72 hours ahead); changing it makes no SendGrid call.",
    output: { source: "declared" },
  },
  {
    name: "batchId",
    cfnName: "BatchId",
    type: "string",
    onChange: "replace",
    description:
      "Adopt this existing SendGrid batch id instead of creating a new batch. Naming another batch later replaces the resource " +
      "(the old batch is cancelled).",
    output: { source: "held", description: "The SendGrid batch id: use it as `batch_id` in Mail Send requests.", attribute: "BatchId" },
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
    enum: REGION_ENUM,
    default: "global",
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

type Row = (typeof BATCH_PROPERTIES)[number];
export type BatchProperty = Row["name"];
type AccountProperty = Extract<Row, { onChange: "account" }>["name"];
type ResourceProperty = Exclude<BatchProperty, AccountProperty>;

/** Each property's value once read: an enum's values, Unix seconds for a send time, else a string. */
type ValueOf<P extends Row> = P extends { enum: { values: infer V } }
  ? keyof V & string
  : P extends { type: "integer-or-string" }
    ? number
    : string;

/** The user-facing description of one batch, after validation and defaults (core/validate.ts). */
export type BatchSpec = { -readonly [P in Row as P["name"]]?: ValueOf<P> } & { status: BatchStatus };

/** State's output that no program sets: whether the batch was adopted rather than created. */
export const ADOPTED_OUTPUT = {
  name: "adopted",
  description: "True when the batch already existed (adopted through `batchId` or `pulumi import`) rather than created.",
} as const;

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

/** The value an absent property means, from the table. */
function defaultOf<P extends BatchProperty>(name: P): Extract<Row, { name: P }> extends { default: infer D } ? D : undefined {
  return (propertySpec(name).default ?? undefined) as Extract<Row, { name: P }> extends { default: infer D } ? D : undefined;
}

export const DEFAULT_STATUS: BatchStatus = defaultOf("status");
export const DEFAULT_REGION: Region = defaultOf("region");

/** Each input's name in a CloudFormation template. */
export type CfnName = Row["cfnName"];
export const CFN_NAME = Object.fromEntries(BATCH_PROPERTIES.map((p) => [p.name, p.cfnName])) as {
  readonly [P in Row as P["name"]]: P["cfnName"];
};
/** The input each CloudFormation property name stands for. */
export const PROPERTY_OF_CFN_NAME = Object.fromEntries(BATCH_PROPERTIES.map((p) => [p.cfnName, p.name])) as Readonly<
  Record<CfnName, BatchProperty>
>;
/** The template's property names, in the table's order. */
export const CFN_NAMES = BATCH_PROPERTIES.map((p) => p.cfnName) as readonly CfnName[];

/** The attributes (`Fn::GetAtt`) of a Custom::SendGridScheduledBatch resource, by the output they carry. */
type WithAttribute = Extract<Row, { output: { attribute: string } }>;
export const CFN_ATTRIBUTES = Object.fromEntries(
  BATCH_PROPERTIES.flatMap((p) => ("output" in p && "attribute" in p.output ? [[p.name, p.output.attribute]] : [])),
) as { readonly [P in WithAttribute as P["name"]]: P["output"]["attribute"] };

/** The inputs whose declared value state records as an output (the plugin's echo). */
export const DECLARED_OUTPUTS = BATCH_PROPERTIES.filter((p) => "output" in p && p.output.source === "declared").map(
  (p) => p.name,
) as readonly BatchProperty[];

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

/**
 * The provider plugin's credential, beside the account properties of its configuration: a secret,
 * never a resource property and never in a CloudFormation template (the Lambda reads a pointer to it).
 */
export const API_KEY_PROPERTY = {
  name: "apiKey",
  secret: true,
  description:
    "The SendGrid API key (scopes `mail.batch.*` and `user.scheduled_sends.*`). Set it as a secret " +
    `(\`pulumi config set --secret ${TYPE_TOKENS.pluginPackage}:apiKey …\`) or leave it out and set the \`SENDGRID_API_KEY\` environment variable. ` +
    "Changing it does not replace any batch.",
} as const;

/** Whether a state's or policy's resource type is a ScheduledBatch of either Pulumi adapter. */
export function isScheduledBatchType(type: unknown): boolean {
  return type === TYPE_TOKENS.dynamic || type === TYPE_TOKENS.plugin;
}
