// The SendGrid routes the emulator serves, matched by path template.

export type RouteId = "mail.batch" | "mail.batch.one" | "mail.send" | "scheduled_sends" | "scheduled_sends.one";

interface RouteDef {
  id: RouteId;
  template: string;
  pattern: RegExp;
  methods: readonly string[];
}

const ROUTES: readonly RouteDef[] = [
  { id: "mail.batch", template: "/v3/mail/batch", pattern: /^\/v3\/mail\/batch\/?$/, methods: ["POST"] },
  { id: "mail.batch.one", template: "/v3/mail/batch/{batch_id}", pattern: /^\/v3\/mail\/batch\/([^/]+)\/?$/, methods: ["GET"] },
  { id: "mail.send", template: "/v3/mail/send", pattern: /^\/v3\/mail\/send\/?$/, methods: ["POST"] },
  { id: "scheduled_sends", template: "/v3/user/scheduled_sends", pattern: /^\/v3\/user\/scheduled_sends\/?$/, methods: ["GET", "POST"] },
  {
    id: "scheduled_sends.one",
    template: "/v3/user/scheduled_sends/{batch_id}",
    pattern: /^\/v3\/user\/scheduled_sends\/([^/]+)\/?$/,
    methods: ["GET", "PATCH", "DELETE"],
  },
];

export type RouteMatch =
  | { kind: "ok"; id: RouteId; template: string; batchId: string | null }
  | { kind: "method-not-allowed"; template: string }
  | { kind: "not-found" };

export function matchRoute(method: string, pathname: string): RouteMatch {
  for (const r of ROUTES) {
    const m = r.pattern.exec(pathname);
    if (!m) continue;
    if (!r.methods.includes(method)) return { kind: "method-not-allowed", template: r.template };
    let batchId: string | null = null;
    if (m[1] !== undefined) {
      try {
        batchId = decodeURIComponent(m[1]);
      } catch {
        batchId = m[1];
      }
    }
    return { kind: "ok", id: r.id, template: r.template, batchId };
  }
  return { kind: "not-found" };
}
