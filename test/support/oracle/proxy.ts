// The oracle's link to SendGrid: a real HTTP server on 127.0.0.1 between the code under test and the
// emulator. It forwards every request unchanged unless a command armed something for the next ones:
// - a fault (500, 503, 429, a reset connection), before the request reaches SendGrid or after
//   SendGrid applied it (the ambiguous failure: the change is made, the caller hears a failure);
// - a hold: the request waits at the link (a hung connection) until the command lets it go on
//   (it then reaches SendGrid late) or cuts it (it never does). A request its caller abandoned
//   meanwhile (closed the connection) never reaches SendGrid;
// - something that happens meanwhile: another program acts before the request is forwarded (a race
//   forced at the exact point, instead of hoped for with timing).
import type * as http from "node:http";
import { serveLocally } from "../../../scripts/lib/localServer";

export type FaultKind = "500" | "503" | "429" | "reset";
export type FaultPhase = "before" | "after";

export interface RequestInfo {
  method: string;
  path: string;
}

export type Match = (r: RequestInfo) => boolean;

export interface Fault {
  kind: FaultKind;
  phase: FaultPhase;
}

/** A request kept at the link until `release`. */
export interface Held {
  readonly request: RequestInfo;
  /** Resolves when a matching request arrives. */
  readonly arrived: Promise<RequestInfo>;
  /** True once its caller closed the connection (an aborted request is never forwarded). */
  readonly abandoned: boolean;
  /** Forward it now ("late"), or cut the connection without forwarding ("cut"). */
  release(how: "late" | "cut"): Promise<void>;
  /** Whether it reached SendGrid. */
  readonly forwarded: boolean;
}

interface HoldSpec {
  match: Match;
  /** Forward the request, then hold its answer (the change is made, the caller still waits). */
  afterApply: boolean;
  onArrive: (r: RequestInfo) => void;
  decision: Promise<"late" | "cut">;
  decide: (how: "late" | "cut") => void;
  done: Promise<void>;
  finish: () => void;
  state: { request?: RequestInfo; abandoned: boolean; forwarded: boolean };
}

export interface OracleProxy {
  readonly url: string;
  /** The next `count` SendGrid requests (those `match` accepts) fail with `fault`. */
  arm(fault: Fault, count: number, match?: Match): void;
  /** The next request `match` accepts is held (see Held). */
  hold(match: Match, opts?: { afterApply?: boolean }): Held;
  /** Before the next request `match` accepts is forwarded, run `fn` (and wait for it). */
  meanwhile(match: Match, fn: () => Promise<void>): void;
  /** Requests that have arrived and not been answered or dropped yet. */
  inFlight(): number;
  /** Every request that reached the link, in order (method and path). */
  readonly seen: RequestInfo[];
  /** Forget armed faults, holds (cut) and hooks. */
  disarm(): Promise<void>;
  close(): Promise<void>;
}

const FORWARDED_HEADERS = ["content-type", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"];

function faultAnswer(res: http.ServerResponse, kind: FaultKind): void {
  if (kind === "reset") {
    res.socket?.destroy();
    return;
  }
  if (kind === "429") {
    res.writeHead(429, {
      "content-type": "application/json",
      "x-ratelimit-limit": "600",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000)),
    });
    res.end(JSON.stringify({ errors: [{ field: null, message: "too many requests" }] }));
    return;
  }
  res.writeHead(Number(kind), { "content-type": "application/json" });
  res.end(JSON.stringify({ errors: [{ field: null, message: kind === "503" ? "service unavailable" : "internal server error" }] }));
}

export async function startOracleProxy(target: string): Promise<OracleProxy> {
  let faults: { fault: Fault; left: number; match: Match }[] = [];
  let holds: HoldSpec[] = [];
  let hooks: { match: Match; fn: () => Promise<void> }[] = [];
  let active = 0;
  const seen: RequestInfo[] = [];

  const takeFault = (r: RequestInfo): Fault | undefined => {
    const f = faults.find((x) => x.left > 0 && x.match(r));
    if (!f) return undefined;
    f.left--;
    faults = faults.filter((x) => x.left > 0);
    return f.fault;
  };

  const forward = async (r: RequestInfo, headersIn: http.IncomingHttpHeaders, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(headersIn)) if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
    const answer = await fetch(target + r.path, { method: r.method, headers, body: body.length ? body : undefined });
    const text = await answer.text();
    const out: Record<string, string> = {};
    for (const h of FORWARDED_HEADERS) {
      const v = answer.headers.get(h);
      if (v !== null) out[h] = v;
    }
    return { status: answer.status, headers: out, text };
  };

  const server = await serveLocally((req, body, res) => {
    const r: RequestInfo = { method: req.method ?? "GET", path: req.url ?? "/" };
    seen.push(r);
    active++;
    let closed = false;
    res.on("close", () => {
      closed = true;
    });
    void (async () => {
      const hook = hooks.find((h) => h.match(r));
      if (hook) {
        hooks = hooks.filter((h) => h !== hook);
        await hook.fn();
      }
      const hold = holds.find((h) => h.match(r));
      if (hold) {
        holds = holds.filter((h) => h !== hold);
        hold.state.request = r;
        res.on("close", () => {
          if (!res.writableEnded) hold.state.abandoned = true;
        });
        hold.onArrive(r);
        try {
          if (hold.afterApply) {
            const answer = await forward(r, req.headers, body);
            hold.state.forwarded = true;
            const how = await hold.decision;
            if (how === "cut" || closed) res.socket?.destroy();
            else {
              res.writeHead(answer.status, answer.headers);
              res.end(answer.text);
            }
            return;
          }
          const how = await hold.decision;
          if (how === "cut" || closed || hold.state.abandoned) {
            res.socket?.destroy();
            return;
          }
          const answer = await forward(r, req.headers, body);
          hold.state.forwarded = true;
          if (closed) return;
          res.writeHead(answer.status, answer.headers);
          res.end(answer.text);
        } finally {
          hold.finish();
        }
        return;
      }
      const fault = r.path.startsWith("/v3/") ? takeFault(r) : undefined;
      if (fault?.phase === "before") {
        faultAnswer(res, fault.kind);
        return;
      }
      const answer = await forward(r, req.headers, body);
      if (fault) {
        faultAnswer(res, fault.kind);
        return;
      }
      if (closed) return;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.text);
    })()
      .catch(() => {
        res.socket?.destroy();
      })
      .finally(() => {
        active--;
      });
  });

  const proxy: OracleProxy = {
    url: server.url,
    seen,
    arm(fault, count, match = () => true) {
      faults.push({ fault, left: count, match });
    },
    hold(match, opts = {}) {
      let onArrive: (r: RequestInfo) => void = () => {};
      const arrived = new Promise<RequestInfo>((resolve) => {
        onArrive = resolve;
      });
      let decide: (how: "late" | "cut") => void = () => {};
      const decision = new Promise<"late" | "cut">((resolve) => {
        decide = resolve;
      });
      let finish: () => void = () => {};
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const state: HoldSpec["state"] = { abandoned: false, forwarded: false };
      const spec: HoldSpec = { match, afterApply: opts.afterApply === true, onArrive, decision, decide, done, finish, state };
      holds.push(spec);
      return {
        get request() {
          return state.request ?? { method: "", path: "" };
        },
        arrived,
        get abandoned() {
          return state.abandoned;
        },
        get forwarded() {
          return state.forwarded;
        },
        async release(how) {
          if (state.request === undefined) {
            // Never arrived: forget it (a request that comes later is not held).
            holds = holds.filter((h) => h !== spec);
            return;
          }
          holds = holds.filter((h) => h !== spec);
          decide(how);
          await done;
        },
      };
    },
    meanwhile(match, fn) {
      hooks.push({ match, fn });
    },
    inFlight: () => active,
    async disarm() {
      faults = [];
      hooks = [];
      const pending = holds;
      holds = [];
      for (const h of pending) h.decide("cut");
    },
    close: server.close,
  };
  return proxy;
}

/** Requests of one method whose path starts with `prefix` (query strings ignored). */
export const requestOf =
  (method: string, prefix: string): Match =>
  (r) =>
    r.method === method && r.path.split("?")[0].startsWith(prefix);
