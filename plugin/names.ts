// The plugin's public names, shared by the provider process, its schema and the typed SDK classes;
// the package, resource and property names come from the core's property table (core/properties.ts).

import { ACCOUNT_PROPERTIES, RESOURCE_PROPERTIES, TYPE_TOKENS } from "../core/properties";

/** The Pulumi package name: the plugin executable is `pulumi-resource-sendgrid-batch`. */
export const PACKAGE = TYPE_TOKENS.pluginPackage;
/** The resource type token. */
export const RESOURCE_TOKEN = TYPE_TOKENS.plugin;
/** The properties a program sets on the resource; the account lives in the provider's config. */
export const RESOURCE_INPUTS = RESOURCE_PROPERTIES;
/** The provider's configuration keys (`sendgrid-batch:<key>` in stack config): the key, then the account. */
export const CONFIG_KEYS = ["apiKey", ...ACCOUNT_PROPERTIES] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
