// Secrets out of text, in one place for every adapter. A SendGrid server, a proxy or a gateway in
// front of it may echo the request's Authorization header in an error body, which the client turns
// into an error message; that message reaches the CLI's output, the engine's diagnostics and event
// log, CloudFormation's Reason. So every error the client produces goes through redactError, with
// the key it was given; redactSecrets also removes any `Bearer <token>` and any SendGrid-key-shaped
// token (`SG.<id>.<secret>`), whoever's key it is.

import { SendGridError } from "./errors";

export const REDACTED = "<redacted>";

// A bearer credential as an HTTP header carries it (RFC 6750's b64token), and a SendGrid API key:
// "SG." and dot-separated parts of URL-safe base64 (a trailing full stop is prose, not key).
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/-]+=*/gi;
const SENDGRID_KEY = /\bSG\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*/g;

/**
 * What of a secret must never be shown: the whole value, and each long part of a SendGrid key
 * (`SG.<id>.<secret>`), since a server or proxy may echo the key without its prefix. Short values
 * are skipped: replacing them would garble ordinary text.
 */
export function secretParts(secret: string): string[] {
  const parts = secret.length >= 8 ? [secret] : [];
  for (const p of secret.split(".")) if (p.length >= 16 && p !== secret) parts.push(p);
  return parts;
}

/**
 * `text` with each of `secrets` (and each long part of it), every `Bearer <token>` and every
 * SendGrid-key-shaped token replaced by `<redacted>`. Known secrets go first, the longest first,
 * so a part never leaves the rest of its whole behind.
 */
export function redactSecrets(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  const parts = [...secrets].flatMap(secretParts).sort((a, b) => b.length - a.length);
  for (const s of parts) out = out.split(s).join(REDACTED);
  return out.replace(BEARER, `Bearer ${REDACTED}`).replace(SENDGRID_KEY, REDACTED);
}

/** `err` with its message, summary, hint and SendGrid's fields redacted (the same error when nothing changes). */
export function redactError(err: SendGridError, secrets: Iterable<string> = []): SendGridError {
  const list = [...secrets];
  const clean = (text: string) => redactSecrets(text, list);
  const fields = err.fields.map((f) => ({ field: f.field === null ? null : clean(f.field), message: clean(f.message) }));
  const hint = err.hint === undefined ? undefined : clean(err.hint);
  const summary = clean(err.summary);
  const same =
    summary === err.summary &&
    hint === err.hint &&
    fields.every((f, i) => f.field === err.fields[i]?.field && f.message === err.fields[i]?.message);
  if (same) return err;
  return new SendGridError({ ...err, message: summary, hint, fields });
}
