// API-key authentication and `on-behalf-of` subuser scoping.

import type { IncomingHttpHeaders } from "node:http";
import { SENDGRID_MESSAGES } from "../core/wire";
import { sendgridError, type Reply } from "./http";
import type { Scope } from "./state";

export type AuthResult = { ok: true; scope: Scope } | { ok: false; reply: Reply; account: string | null; onBehalfOf: string | null };

export class Accounts {
  private readonly byKey: Map<string, string>;
  private readonly subusers: ReadonlySet<string>;

  /** Each key is its own parent account, named `account-1`, `account-2`, … in key order. */
  constructor(apiKeys: readonly string[], subusers: readonly string[]) {
    this.byKey = new Map(apiKeys.map((key, i) => [key, `account-${i + 1}`]));
    this.subusers = new Set(subusers);
  }

  get accountNames(): string[] {
    return [...this.byKey.values()];
  }

  get subuserNames(): string[] {
    return [...this.subusers];
  }

  isSubuser(name: string): boolean {
    return this.subusers.has(name);
  }

  /**
   * `Authorization: Bearer <key>` → the key's account. With `useOnBehalfOf`, a known subuser in the
   * `on-behalf-of` header switches the scope to that subuser; an unknown one is 403 "access forbidden"
   * (the emulator's choice: the parent may not act for a user it does not own).
   */
  authenticate(headers: IncomingHttpHeaders, useOnBehalfOf: boolean): AuthResult {
    const raw = headers.authorization;
    const header = onBehalfOfHeader(headers);
    const onBehalfOf = useOnBehalfOf ? header : null;
    const m = typeof raw === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(raw) : null;
    if (!m) return { ok: false, reply: sendgridError(401, SENDGRID_MESSAGES.authorizationRequired), account: null, onBehalfOf };
    const account = this.byKey.get(m[1]);
    if (account === undefined) return { ok: false, reply: sendgridError(401, SENDGRID_MESSAGES.invalidGrant), account: null, onBehalfOf };
    if (onBehalfOf !== null && !this.subusers.has(onBehalfOf)) {
      return { ok: false, reply: sendgridError(403, SENDGRID_MESSAGES.accessForbidden), account, onBehalfOf };
    }
    return { ok: true, scope: { account, onBehalfOf } };
  }
}

/** The `on-behalf-of` header (any case), trimmed; empty counts as absent. */
export function onBehalfOfHeader(headers: IncomingHttpHeaders): string | null {
  const v = headers["on-behalf-of"];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== "" ? s.trim() : null;
}
