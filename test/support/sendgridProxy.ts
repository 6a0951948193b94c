// A real HTTP server on 127.0.0.1 standing between the code under test and the emulator. By default
// it forwards every request unchanged; its rules, changeable while it runs, make it what a user may
// really be talking to: a host that is not SendGrid (a proxy or another service answering 404), a
// SendGrid that is slower on some requests, or one that words an undocumented refusal differently.
import { serveLocally } from "../../scripts/lib/localServer";

export interface ProxyAnswer {
  status: number;
  body: string;
  contentType?: string;
}

export interface ProxyRules {
  /** Answer every request with this instead of forwarding it. */
  answer?: ProxyAnswer;
  /** Hold requests of these methods this long before forwarding them (ms). */
  delayMs?: Partial<Record<string, number>>;
  /** Hold the emulator's answer to requests of these methods this long (ms): the change is applied, the caller still waits. */
  holdAnswerMs?: Partial<Record<string, number>>;
  /** Replace the body of a forwarded response (given the request and the emulator's answer). */
  rewrite?: (req: { method: string; path: string }, res: { status: number; body: string }) => string;
  /**
   * A request this returns a number for is lost on the way: never forwarded and never answered; its
   * connection is dropped that many ms later (if the caller has not given up first).
   */
  lose?: (req: { method: string; path: string }) => number | undefined;
  /** Run before a request is forwarded: something else happens to the account meanwhile. */
  meanwhile?: (req: { method: string; path: string }) => Promise<void>;
}

export interface SendGridProxy {
  url: string;
  rules: ProxyRules;
  close(): Promise<void>;
}

const FORWARDED_HEADERS = ["content-type", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"];

export async function startSendGridProxy(target: string): Promise<SendGridProxy> {
  const rules: ProxyRules = {};
  const server = await serveLocally((req, received, res) => {
    void (async () => {
      const method = req.method ?? "GET";
      const path = req.url ?? "/";
      if (rules.answer) {
        const headers: Record<string, string> = rules.answer.contentType ? { "content-type": rules.answer.contentType } : {};
        res.writeHead(rules.answer.status, headers);
        res.end(rules.answer.body);
        return;
      }
      const lostFor = rules.lose?.({ method, path });
      if (lostFor !== undefined) {
        const drop = setTimeout(() => res.destroy(), lostFor);
        res.on("close", () => clearTimeout(drop));
        return;
      }
      await rules.meanwhile?.({ method, path });
      const delay = rules.delayMs?.[method];
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
      const body = received.length ? received : undefined;
      const answer = await fetch(target + path, { method, headers, body });
      let text = await answer.text();
      const hold = rules.holdAnswerMs?.[method];
      if (hold) await new Promise((resolve) => setTimeout(resolve, hold));
      if (rules.rewrite) text = rules.rewrite({ method, path }, { status: answer.status, body: text });
      const out: Record<string, string> = {};
      for (const h of FORWARDED_HEADERS) {
        const v = answer.headers.get(h);
        if (v !== null) out[h] = v;
      }
      res.writeHead(answer.status, out);
      res.end(text);
    })().catch(() => {
      res.destroy();
    });
  });
  return { url: server.url, rules, close: server.close };
}

/** A proxy in front of the file's emulator, started before its tests and closed after them. */
export function useSendGridProxy(emulator: { readonly url: string }): SendGridProxy {
  let proxy: SendGridProxy | undefined;
  beforeAll(async () => {
    proxy = await startSendGridProxy(emulator.url);
  });
  afterAll(async () => {
    await proxy?.close();
  });
  const started = (): SendGridProxy => {
    if (proxy === undefined) throw new Error("the proxy is not started yet (use it inside a test or hook)");
    return proxy;
  };
  return {
    get url() {
      return started().url;
    },
    get rules() {
      return started().rules;
    },
    close: () => started().close(),
  };
}
