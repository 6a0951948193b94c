// Which SendGrid account a batch lives in: an API origin (apiUrl, else the region's host) and a
// subuser. One canonical origin for every adapter: the input validation, the resource model, the
// HTTP client, the plugin's configuration and the CLI all reduce apiUrl here, so a respelling of one
// host ("…:3030/", a host's trailing dot, upper case) is one account everywhere. Pure: no I/O.

import { DEFAULT_REGION } from "./properties";
import type { Region } from "./types";
import { SENDGRID_HOSTS } from "./wire";

/** The account settings of a resource, a provider's configuration or a client's connection. */
export type AccountSettings = { readonly apiUrl?: unknown; readonly region?: unknown; readonly onBehalfOf?: unknown };

/** Why a URL may not be used as the SendGrid API base, or undefined if it may. */
export function apiUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `apiUrl must be an absolute URL such as "https://api.sendgrid.com" (got ${JSON.stringify(value)})`;
  }
  if (url.username || url.password) return "apiUrl must not contain credentials: the API key is configured on its own, never in the URL";
  // Origin only: the client appends /v3/… itself, so "https://api.sendgrid.com/v3" would make every
  // call 404, and a 404 must never be mistaken for "this batch has no status".
  if (url.pathname !== "/" || url.search || url.hash || /[?#]/.test(value)) {
    return `apiUrl must be an origin such as "https://api.sendgrid.com", without a path, query or fragment (got ${JSON.stringify(value)})`;
  }
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
  if (url.protocol === "http:")
    return `apiUrl may use http only for a loopback host (127.0.0.1, localhost, [::1]); use https for ${url.hostname}`;
  return `apiUrl must use https (got ${url.protocol.replace(/:$/, "")})`;
}

export function isLoopbackHost(hostname: string): boolean {
  // "localhost." is the fully qualified spelling of "localhost".
  const h = hostname.replace(/^\[|\]$|\.$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The region a batch's settings name ("global" unless "eu"). */
export function regionOf(inputs: AccountSettings): Region {
  return inputs.region === "eu" ? "eu" : DEFAULT_REGION;
}

/**
 * A valid API URL as the one origin every adapter compares, records and sends to. A host's trailing
 * dot is dropped: "api.sendgrid.com." is the fully qualified spelling of "api.sendgrid.com" (one
 * DNS name, one TLS certificate), so it names the same account.
 */
export function canonicalOrigin(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname.endsWith(".")) url.hostname = url.hostname.slice(0, -1);
  return url.origin;
}

/** The API origin a batch's requests go to: `apiUrl` as an origin, else the region's host. */
export function apiOrigin(inputs: AccountSettings): string {
  if (typeof inputs.apiUrl === "string" && apiUrlProblem(inputs.apiUrl) === undefined) return canonicalOrigin(inputs.apiUrl);
  return SENDGRID_HOSTS[regionOf(inputs)];
}

/** One string per SendGrid account (host + subuser): equal strings are the same account. */
export function accountKey(inputs: AccountSettings): string {
  return `${apiOrigin(inputs)}|${typeof inputs.onBehalfOf === "string" ? inputs.onBehalfOf : ""}`;
}

/** An account key in words, for messages: the origin, and the subuser when there is one. */
export function accountInWords(key: string): string {
  const [origin, subuser] = key.split("|");
  return subuser ? `${origin} on behalf of ${subuser}` : `${origin}`;
}
