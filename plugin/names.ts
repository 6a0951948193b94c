// The plugin's public names, shared by the provider process, its schema and the typed SDK classes.

/** The Pulumi package name: the plugin executable is `pulumi-resource-sendgrid-batch`. */
export const PACKAGE = "sendgrid-batch";
/** The resource type token. */
export const RESOURCE_TOKEN = `${PACKAGE}:index:ScheduledBatch`;
/** The properties a program sets on the resource; the account lives in the provider's config. */
export const RESOURCE_INPUTS = ["status", "sendAt", "batchId"] as const;
/** The provider's configuration keys (`sendgrid-batch:<key>` in stack config). */
export const CONFIG_KEYS = ["apiKey", "region", "onBehalfOf", "apiUrl"] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
