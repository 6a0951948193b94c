// A typed client for the seven SendGrid operations this project uses, over @sendgrid/client.
// It owns what @sendgrid/client lacks: timeouts, bounded retries that honour X-RateLimit-Reset,
// a per-endpoint gate shared by every caller in the process, and errors mapped to SendGridError.

import { createHash } from "node:crypto";
import { Client } from "@sendgrid/client";
import type { ClientRequest } from "@sendgrid/client/src/request";
import { SendGridError, advise, type ErrorCode, type SendGridErrorField } from "./errors";
import { accountInWords, accountKey, apiOrigin, apiUrlProblem, isLoopbackHost } from "./account";
import { JournalKey } from "./journal";
import { redactError } from "./redact";
import {
  DEFAULT_RETRY,
  backoffMs,
  rateLimitWaitMs,
  realSleep,
  retry,
  sleepUnlessAborted,
  type QuotaWaitInfo,
  type RetryOptions,
  type Sleep,
} from "./retry";
import type { BatchStatus, ConnectionSettings } from "./types";
import { SENDGRID_LIMITS, SENDGRID_MESSAGES, type MailBatchResponse, fromWire, type ScheduledSendStatus, type WireStatus } from "./wire";

export interface ClientOptions {
  retry?: Partial<RetryOptions>;
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
  /** Called once per HTTP attempt (for counting and debugging; never receives the key). */
  onAttempt?: (info: AttemptInfo) => void;
  /**
   * Called while a pause or cancel refused with `max limit reached` waits for a free slot: at the
   * first refusal, then about every 10 s. Adapters print it (describeQuotaWait), so a user sees
   * what the run waits for instead of a silent pause.
   */
  onQuotaWait?: (info: QuotaWaitInfo) => void;
  /**
   * Aborted when the caller stops waiting (the Lambda at its deadline, before it answers): the HTTP
   * attempt in flight is abandoned (axios honours `signal`), and no retry, rate-limit wait or quota
   * wait starts or goes on. The call then fails with ABORTED, saying whether a request was in
   * flight (it may still have reached SendGrid). A client with a signal is never shared.
   */
  signal?: AbortSignal;
  /**
   * The adapter's advice per error code, replacing the core's neutral hint: where that adapter's
   * key and settings come from, and what its user does next (e.g. `pulumi config set --secret
   * sendgrid:apiKey` for the dynamic provider, SENDGRID_API_KEY for the CLI).
   */
  hints?: ClientHints;
}

/** An adapter's hint per error code (see ClientOptions.hints). */
export type ClientHints = Partial<Record<ErrorCode, string>>;

export interface AttemptInfo {
  method: string;
  path: string;
  status?: number;
  error?: string;
  attempt: number;
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

interface RawResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * How often a pause/cancel refused with `max limit reached` is tried again: slots free up as fast as
 * the run's other changes reach SendGrid, so quickly at first (a 250 ms step, doubled for every 500 ms
 * waited, at most three times), then every 1–2 s (half a step plus jitter), never past the wait.
 */
const QUOTA_POLL = { firstStepMs: 250, doubleEveryMs: 500, doublings: 3, maxStepMs: 2000 } as const;

/** One call of send(): what is asked, the endpoint's gate, and the retry policy it runs under. */
interface Call {
  method: Method;
  path: string;
  body: unknown;
  gateKey: string;
  policy: RetryOptions;
}

/** What one call has spent of each kind of failure's budget so far. */
interface Budget {
  transient: number;
  rateLimited: number;
  /** When the first `max limit reached` came (this.now()), if one did. */
  quotaSince?: number;
  /** The last 10-second step of the quota wait reported to onQuotaWait. */
  quotaNoticed: number;
}

/** Requests of one endpoint wait here while SendGrid's rate-limit window is exhausted. */
const gates = new Map<string, number>();

export class SendGridBatchClient {
  private readonly client: Client;
  private readonly retry: RetryOptions;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly onAttempt?: (info: AttemptInfo) => void;
  private readonly onQuotaWait?: (info: QuotaWaitInfo) => void;
  private readonly signal?: AbortSignal;
  private readonly account: string;
  /** Never shown in an error: the key (a server or proxy may echo the Authorization header). */
  private readonly secrets: readonly string[];
  private readonly hints: ClientHints;
  readonly baseUrl: string;
  /** The account as the resource model names it (API origin and subuser, no key): see accountKey. */
  readonly accountKey: string;
  /** The account in words, for messages: the origin, and the subuser when there is one. */
  readonly accountLabel: string;
  /** Signs and checks the journal's lines (core/journal.ts): derived from the API key, never the key. */
  readonly journalKey: JournalKey;
  /** SendGrid's clock as its last answer dated it (the `Date` header), and this machine's then, in ms. */
  private serverDate?: { serverMs: number; localMs: number };

  constructor(settings: ConnectionSettings, opts: ClientOptions = {}) {
    if (settings.apiUrl) {
      const problem = apiUrlProblem(settings.apiUrl);
      if (problem) throw redactError(new SendGridError({ code: "INVALID_INPUT", message: problem }), [settings.apiKey]);
    }
    this.secrets = [settings.apiKey];
    this.hints = opts.hints ?? {};
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.sleep = opts.sleep ?? realSleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.onAttempt = opts.onAttempt;
    this.onQuotaWait = opts.onQuotaWait;
    this.signal = opts.signal;

    // A fresh instance per configuration: the package's default export is a process-wide singleton.
    this.client = new Client();
    this.client.setApiKey(settings.apiKey);
    if (settings.region === "eu") this.client.setDataResidency("eu");
    if (settings.onBehalfOf) this.client.setImpersonateSubuser(settings.onBehalfOf);
    this.baseUrl = apiOrigin(settings);
    // setApiKey and setDataResidency both reset baseUrl, so the override comes last. `timeout` and
    // `proxy` are passed through to axios; a loopback emulator must not go through HTTP(S)_PROXY.
    // `signal` too: @sendgrid/client's request() keeps only url, method, body, qs and headers of a
    // call's own config, so the default request is the one way to hand axios an AbortSignal.
    const defaults: ClientRequest & { timeout: number; proxy?: false; signal?: AbortSignal } = {
      url: "",
      baseUrl: this.baseUrl,
      timeout: this.retry.timeoutMs,
    };
    if (isLoopbackHost(new URL(this.baseUrl).hostname)) defaults.proxy = false;
    if (this.signal) defaults.signal = this.signal;
    this.client.setDefaultRequest(defaults);
    this.accountKey = accountKey(settings);
    this.accountLabel = accountInWords(this.accountKey);
    // The rate-limit gate is per account and key (SendGrid limits per key): a digest, so no key is kept in it.
    this.account = createHash("sha256").update(`${this.accountKey}\n${settings.apiKey}`).digest("hex").slice(0, 16);
    this.journalKey = new JournalKey(settings.apiKey);
  }

  /** POST /v3/mail/batch: a new batch id. Not idempotent, so at most one fresh retry after a failure. */
  async createBatchId(): Promise<string> {
    const res = await this.send("POST", "/v3/mail/batch", "/v3/mail/batch", undefined, {
      maxAttempts: Math.min(2, this.retry.maxAttempts),
    });
    const body = res.body as Partial<MailBatchResponse> | undefined;
    if (!body || typeof body.batch_id !== "string" || body.batch_id === "") {
      throw this.fail(unexpected("POST", "/v3/mail/batch", res.status, "no batch_id in the response"));
    }
    return body.batch_id;
  }

  /** GET /v3/mail/batch/{id}: whether SendGrid knows this id for this account. */
  async validateBatchId(batchId: string): Promise<boolean> {
    try {
      await this.send("GET", `/v3/mail/batch/${enc(batchId)}`, "/v3/mail/batch/{batch_id}");
      return true;
    } catch (err) {
      if (err instanceof SendGridError && (err.code === "INVALID_BATCH_ID" || err.code === "BATCH_NOT_FOUND")) return false;
      throw err;
    }
  }

  /** GET /v3/user/scheduled_sends/{id}: the batch's status. No status (`[]`, or 404 "batch id not found") means active. */
  async getStatus(batchId: string): Promise<BatchStatus> {
    let res: RawResponse;
    try {
      res = await this.send("GET", `/v3/user/scheduled_sends/${enc(batchId)}`, "/v3/user/scheduled_sends/{batch_id}");
    } catch (err) {
      // SendGrid answers either [] or 404 "batch id not found" for a batch without a status.
      if (err instanceof SendGridError && err.code === "BATCH_NOT_FOUND") return "active";
      throw err;
    }
    const path = `/v3/user/scheduled_sends/${enc(batchId)}`;
    const entries = parseStatusList(res.body, (what) => this.fail(unexpected("GET", path, res.status, what)));
    if (entries.length === 0) return "active";
    // Only this batch's entry counts: another batch's status must never be reported as this one's.
    const mine = entries.find((e) => e.batch_id === batchId);
    if (!mine) throw this.fail(unexpected("GET", path, res.status, `no entry for batch ${batchId}`));
    return fromWire(mine.status);
  }

  /** GET /v3/user/scheduled_sends: every paused or cancelled batch of the account. */
  async listStatuses(): Promise<ScheduledSendStatus[]> {
    const res = await this.send("GET", "/v3/user/scheduled_sends", "/v3/user/scheduled_sends");
    return parseStatusList(res.body, (what) => this.fail(unexpected("GET", "/v3/user/scheduled_sends", res.status, what)));
  }

  /** POST /v3/user/scheduled_sends: give an active batch a pause or cancel status. */
  async createStatus(batchId: string, status: WireStatus): Promise<void> {
    await this.send("POST", "/v3/user/scheduled_sends", "/v3/user/scheduled_sends", { batch_id: batchId, status });
  }

  /** PATCH /v3/user/scheduled_sends/{id}: switch between pause and cancel. */
  async updateStatus(batchId: string, status: WireStatus): Promise<void> {
    await this.send("PATCH", `/v3/user/scheduled_sends/${enc(batchId)}`, "/v3/user/scheduled_sends/{batch_id}", { status });
  }

  /** DELETE /v3/user/scheduled_sends/{id}: remove the status, so the batch's mail goes out (resume). */
  async clearStatus(batchId: string): Promise<void> {
    await this.send("DELETE", `/v3/user/scheduled_sends/${enc(batchId)}`, "/v3/user/scheduled_sends/{batch_id}");
  }

  private async send(
    method: Method,
    path: string,
    template: string,
    body?: unknown,
    override: Partial<RetryOptions> = {},
  ): Promise<RawResponse> {
    const call: Call = { method, path, body, gateKey: `${this.account} ${method} ${template}`, policy: { ...this.retry, ...override } };
    // Each kind of failure has its own budget: transient ones (5xx, resets, timeouts) a number of
    // attempts, 429s a number of waits for the window, `max limit reached` a span of time.
    const budget: Budget = { transient: 0, rateLimited: 0, quotaNoticed: -1 };
    try {
      return await retry((n) => this.attemptTold(call, n), {
        maxAttempts: Number.POSITIVE_INFINITY,
        retryable: (error) => this.mayRetry(error, call, budget),
        delayMs: (error) => this.delayBeforeRetry(error as SendGridError, call, budget),
        now: this.now,
        sleep: this.sleep,
        signal: this.signal,
        abortedError: () => aborted(method, path, false),
      });
    } catch (err) {
      throw this.fail(this.finalError(err, call, budget));
    }
  }

  /**
   * One attempt (attemptThroughGate), with a status write refused in words that name nothing told
   * apart by the account's slots (quotaUnworded): such a refusal may be the quota, and then it waits
   * for a slot like `max limit reached` does.
   */
  private async attemptTold(call: Call, n: number): Promise<RawResponse> {
    try {
      return await this.attemptThroughGate(call, n);
    } catch (err) {
      if (call.method === "POST" && call.path === "/v3/user/scheduled_sends" && err instanceof SendGridError && err.code === "BAD_REQUEST")
        throw await this.quotaUnworded(err);
      throw err;
    }
  }

  /**
   * A pause or cancel (POST, which takes a slot) refused with a 400 whose words name nothing (SendGrid
   * documents no message for a refusal near send_at, and the quota's own words have changed before):
   * when the account's list shows all its slots held, it is taken as the quota, QUOTA_EXCEEDED, and
   * waits for a slot like any other quota refusal; a caller must never read it as "too late" (that
   * would let the mail go out). One read of the list per such refusal, on this rare path only; when
   * the list cannot be read, or shows a free slot, SendGrid's refusal stands as it is. A slot freed
   * between the refusal and the read can make a quota refusal stand as it is: no adapter answers a
   * refusal as a success, so this changes only the words of the failure.
   */
  private async quotaUnworded(refusal: SendGridError): Promise<SendGridError> {
    let held: number;
    try {
      held = (await this.listStatuses()).length;
    } catch {
      return refusal;
    }
    const max = SENDGRID_LIMITS.maxPausedOrCancelled;
    if (held < max) return refusal;
    return new SendGridError({
      ...refusal,
      code: "QUOTA_EXCEEDED",
      message: refusal.summary,
      hint: `The account holds ${held} batches paused or cancelled (at most ${max} at once), so this refusal is taken as the quota, not as "too late": the batch keeps its status. Resume one, or free slots held by cancelled batches whose send time has passed with \`sendgrid-batches clear-cancelled\``,
    });
  }

  /** One HTTP attempt, after the endpoint's rate-limit gate; every failure as a SendGridError. */
  private async attemptThroughGate({ method, path, body, gateKey, policy }: Call, n: number): Promise<RawResponse> {
    const gate = gates.get(gateKey);
    if (gate !== undefined && gate > this.now()) await sleepUnlessAborted(this.sleep, gate - this.now(), this.signal);
    if (this.signal?.aborted) throw aborted(method, path, false);
    try {
      const res = await this.attempt(method, path, body);
      this.noteServerDate(res.headers);
      this.onAttempt?.({ method, path, status: res.status, attempt: n });
      this.noteRateLimit(gateKey, res.headers);
      return res;
    } catch (err) {
      if (isResponseError(err)) this.noteServerDate(lowerHeaders(err.response.headers));
      // Aborted while the request was out: whatever axios says, it was abandoned without an answer.
      const error = this.signal?.aborted
        ? aborted(method, path, true)
        : toSendGridError(err, method, path, this.baseUrl, this.now(), policy.maxRateLimitWaitMs);
      this.onAttempt?.({ method, path, status: error.status, error: error.code, attempt: n });
      throw error;
    }
  }

  /** Whether `error` is tried again, spending the budget of its kind. */
  private mayRetry(error: unknown, { policy }: Call, budget: Budget): boolean {
    if (!(error instanceof SendGridError)) return false;
    if (error.code === "RATE_LIMITED") return ++budget.rateLimited <= policy.maxRateLimitRetries;
    if (error.code === "QUOTA_EXCEEDED") {
      // The refused request changed nothing; another change of this run may free a slot.
      budget.quotaSince ??= this.now();
      return this.now() - budget.quotaSince < policy.maxQuotaWaitMs;
    }
    return error.retryable && ++budget.transient < policy.maxAttempts;
  }

  /** How long to wait before trying `e` again. */
  private delayBeforeRetry(e: SendGridError, call: Call, budget: Budget): number {
    if (e.code === "RATE_LIMITED") {
      // Hold the endpoint until the window resets; this request alone adds a little jitter, so
      // the requests waiting on the gate do not all wait longer than the reset.
      const until = e.resetAt ?? this.now() + 1000;
      gates.set(call.gateKey, Math.max(gates.get(call.gateKey) ?? 0, until));
      return Math.max(0, until - this.now()) + Math.round(this.random() * 250);
    }
    if (e.code === "QUOTA_EXCEEDED") return this.quotaPollMs(call, budget);
    return backoffMs(budget.transient - 1, call.policy, this.random);
  }

  /**
   * The wait before asking again for a pause/cancel refused with `max limit reached`: slots free up
   * as fast as the other changes of the run reach SendGrid, so about 1–2 s once the first quick
   * retries fail, never past the wait. Reports the wait to onQuotaWait every 10 s.
   */
  private quotaPollMs({ method, path, body, policy }: Call, budget: Budget): number {
    const waited = this.now() - (budget.quotaSince ?? this.now());
    if (this.onQuotaWait && Math.floor(waited / 10_000) > budget.quotaNoticed) {
      budget.quotaNoticed = Math.floor(waited / 10_000);
      const asked = body !== null && typeof body === "object" ? (body as { batch_id?: unknown; status?: unknown }) : {};
      this.onQuotaWait({
        method,
        path,
        batchId: typeof asked.batch_id === "string" ? asked.batch_id : undefined,
        status: typeof asked.status === "string" ? asked.status : undefined,
        waitedMs: waited,
        maxWaitMs: policy.maxQuotaWaitMs,
      });
    }
    const step = Math.min(
      QUOTA_POLL.maxStepMs,
      QUOTA_POLL.firstStepMs * 2 ** Math.min(QUOTA_POLL.doublings, Math.floor(waited / QUOTA_POLL.doubleEveryMs)),
    );
    return Math.min(Math.round(step / 2 + this.random() * (step / 2)), Math.max(0, policy.maxQuotaWaitMs - waited));
  }

  /** The error a call ends with: a quota refusal says how long it waited for a slot. */
  private finalError(err: unknown, { policy }: Call, budget: Budget): unknown {
    if (!(err instanceof SendGridError) || err.code !== "QUOTA_EXCEEDED" || budget.quotaSince === undefined || policy.maxQuotaWaitMs <= 0)
      return err;
    const seconds = Math.round((this.now() - budget.quotaSince) / 1000);
    return new SendGridError({ ...err, message: err.summary, hint: `${err.hint}. No slot came free in the ${seconds} s it was retried` });
  }

  /**
   * Every SendGridError leaves the client through here: the adapter's hint for its code replaces
   * the core's neutral one, and the key, any `Bearer <token>` and any SendGrid-key-shaped text are
   * removed from message, summary, hint and SendGrid's fields, whatever the server echoed.
   */
  private fail(err: SendGridError): SendGridError;
  private fail(err: unknown): unknown;
  private fail(err: unknown): unknown {
    if (!(err instanceof SendGridError)) return err;
    return redactError(advise(err, this.hints), this.secrets);
  }

  /**
   * SendGrid's clock now, in Unix seconds, from the `Date` header of its last answer to this client
   * (advanced by the time passed here since); undefined when no answer carried a readable Date.
   * A caller deciding "has a send time passed" uses the earlier of this and its own clock, so a
   * machine clock running ahead never makes a batch look older than SendGrid sees it.
   */
  serverNowSeconds(): number | undefined {
    if (!this.serverDate) return undefined;
    return Math.floor((this.serverDate.serverMs + Math.max(0, this.now() - this.serverDate.localMs)) / 1000);
  }

  private noteServerDate(headers: Record<string, string>): void {
    const ms = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
    if (Number.isFinite(ms)) this.serverDate = { serverMs: ms, localMs: this.now() };
  }

  private noteRateLimit(gateKey: string, headers: Record<string, string>): void {
    // When the window is used up, hold this endpoint's next requests until it resets instead of
    // collecting 429s (SendGrid keeps refusing for the rest of the period).
    if (headers["x-ratelimit-remaining"] === "0") {
      const wait = rateLimitWaitMs(headers["x-ratelimit-reset"], this.now(), this.retry.maxRateLimitWaitMs);
      gates.set(gateKey, this.now() + wait);
    }
  }

  private async attempt(method: Method, path: string, body: unknown): Promise<RawResponse> {
    const request: ClientRequest = { method, url: path };
    if (body !== undefined) request.body = body;
    const [response] = await this.client.request(request);
    return { status: response.statusCode, body: response.body, headers: lowerHeaders(response.headers) };
  }
}

/** One client per connection settings and options, reused by every resource in the process. */
const clients = new Map<string, SendGridBatchClient>();

export function clientFor(settings: ConnectionSettings, opts: ClientOptions = {}): SendGridBatchClient {
  if (opts.sleep || opts.random || opts.now || opts.onAttempt || opts.onQuotaWait || opts.signal)
    return new SendGridBatchClient(settings, opts);
  const key = createHash("sha256")
    .update(JSON.stringify([settings.apiKey, settings.onBehalfOf, settings.region, settings.apiUrl, opts.retry, opts.hints]))
    .digest("hex");
  let client = clients.get(key);
  if (!client) {
    client = new SendGridBatchClient(settings, opts);
    clients.set(key, client);
  }
  return client;
}

function enc(batchId: string): string {
  return encodeURIComponent(batchId);
}

function lowerHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers && typeof headers === "object") {
    const source = "toJSON" in headers && typeof headers.toJSON === "function" ? (headers.toJSON() as object) : headers;
    for (const [k, v] of Object.entries(source)) {
      if (typeof v === "string" || typeof v === "number") out[k.toLowerCase()] = String(v);
    }
  }
  return out;
}

function parseStatusList(body: unknown, unexpectedBody: (what: string) => SendGridError): ScheduledSendStatus[] {
  if (body === "" || body === undefined || body === null) return [];
  if (!Array.isArray(body)) throw unexpectedBody("expected a JSON array");
  return body.filter(
    (e): e is ScheduledSendStatus =>
      typeof e === "object" && e !== null && typeof e.batch_id === "string" && (e.status === "pause" || e.status === "cancel"),
  );
}

/**
 * The caller stopped waiting (ClientOptions.signal). `inFlight`: the request had been sent and was
 * abandoned without an answer, so SendGrid may still have applied it; otherwise nothing was sent
 * (a retry or a wait was given up).
 */
function aborted(method: string, path: string, inFlight: boolean): SendGridError {
  return new SendGridError({
    code: "ABORTED",
    method,
    path,
    message: inFlight
      ? `SendGrid ${method} ${path} was abandoned without an answer: the caller stopped waiting`
      : `SendGrid ${method} ${path} was not sent: the caller stopped waiting before it (or its retry) could start`,
    hint: inFlight
      ? "The request may still have reached SendGrid: read the batch's status before relying on it"
      : "Nothing more was sent; an earlier attempt that got no answer may still have reached SendGrid",
  });
}

function unexpected(method: string, path: string, status: number, what: string): SendGridError {
  return new SendGridError({
    code: "UNEXPECTED_RESPONSE",
    status,
    method,
    path,
    message: `SendGrid ${method} ${path} answered ${status} but ${what}`,
  });
}

function errorFields(body: unknown): SendGridErrorField[] {
  if (!body || typeof body !== "object" || !("errors" in body) || !Array.isArray(body.errors)) return [];
  const fields: SendGridErrorField[] = [];
  for (const e of body.errors as unknown[]) {
    if (e && typeof e === "object" && "message" in e && typeof e.message === "string") {
      const field = "field" in e && typeof e.field === "string" && e.field !== "null" ? e.field : null;
      fields.push({ field, message: e.message });
    }
  }
  return fields;
}

function isResponseError(err: unknown): err is ResponseError {
  return (
    typeof err === "object" &&
    err !== null &&
    "code" in err &&
    typeof err.code === "number" &&
    "response" in err &&
    typeof err.response === "object" &&
    err.response !== null
  );
}

/** Where a failed request went: for the error's words (never the key). */
interface RequestSite {
  method: string;
  path: string;
  baseUrl: string;
}

/** Map an HTTP or transport failure to a SendGridError with SendGrid's own words and what to do. */
function toSendGridError(err: unknown, method: string, path: string, baseUrl: string, nowMs: number, maxWaitMs: number): SendGridError {
  if (err instanceof SendGridError) return err;
  const site = { method, path, baseUrl };
  return isResponseError(err) ? responseError(err, site, nowMs, maxWaitMs) : transportError(err, site);
}

type ResponseError = { code: number; message: string; response: { headers: unknown; body: unknown } };

/** An HTTP answer other than 2xx, by status and SendGrid's own error messages. */
function responseError(err: ResponseError, { method, path, baseUrl }: RequestSite, nowMs: number, maxWaitMs: number): SendGridError {
  const status = err.code;
  const headers = lowerHeaders(err.response.headers);
  const fields = errorFields(err.response.body);
  const said = fields.length
    ? fields.map((f) => (f.field ? `${f.message} (field: ${f.field})` : f.message)).join("; ")
    : err.message || "no message";
  const base = `SendGrid ${method} ${path} failed: ${status} ${said}`;
  const has = (m: string) => fields.some((f) => f.message.toLowerCase() === m.toLowerCase());
  const make = (code: ErrorCode, hint?: string, retryable = false, resetAt?: number) =>
    new SendGridError({ code, status, method, path, fields, message: base, hint, retryable, resetAt });

  if (status === 401)
    return make("AUTH_REJECTED", "The API key was rejected: it is mistyped, revoked or deleted, or not a key of this region");
  if (status === 403) {
    return make(
      "FORBIDDEN",
      "The key lacks a needed scope (mail.batch.*, user.scheduled_sends.*) or may not act for the on-behalf-of subuser",
    );
  }
  if (status === 429) {
    const wait = rateLimitWaitMs(headers["x-ratelimit-reset"], nowMs, maxWaitMs);
    return make("RATE_LIMITED", "SendGrid's rate limit for this endpoint is used up; retry after X-RateLimit-Reset", true, nowMs + wait);
  }
  if (status >= 500) return make("SENDGRID_UNAVAILABLE", "SendGrid failed on its side; retry later (check status.sendgrid.com)", true);
  if (has(SENDGRID_MESSAGES.maxLimitReached) || mentions(err.response.body, SENDGRID_MESSAGES.maxLimitReached)) {
    return make(
      "QUOTA_EXCEEDED",
      `SendGrid allows at most ${SENDGRID_LIMITS.maxPausedOrCancelled} batches paused or cancelled at once; resume one, or free slots held by cancelled batches whose send time has passed with \`sendgrid-batches clear-cancelled\``,
    );
  }
  if (has(SENDGRID_MESSAGES.statusExists)) return make("STATUS_EXISTS");
  if (has(SENDGRID_MESSAGES.invalidBatchId))
    return make("INVALID_BATCH_ID", "The batch id is unknown to this account: check batchId, onBehalfOf and region");
  // Only SendGrid's own words mean "this batch has no status": a 404 from anything else (a path
  // in apiUrl, a proxy, another service on that host) must never read as "no status" or "gone".
  if (status === 404 && has(SENDGRID_MESSAGES.batchIdNotFound)) return make("BATCH_NOT_FOUND");
  if (status === 404) {
    return new SendGridError({
      code: "NOT_SENDGRID",
      status,
      method,
      path,
      fields,
      message: `${base} (from ${baseUrl}${path}, which does not answer like SendGrid's API)`,
      hint: 'Check apiUrl/region: apiUrl must be the origin of SendGrid\'s API (e.g. "https://api.sendgrid.com"), or leave it out and set region',
    });
  }
  // A pause/cancel refused near send_at is left as SendGrid words it (no message is documented);
  // callers that know the declared send time tell "too late" from the clock (core/batches.ts).
  return make("BAD_REQUEST");
}

/**
 * Whether SendGrid's body says `phrase` in any form: any case, inside quotes, JSON-encoded once or
 * twice (the first API draft sent `"{\"error\": \"max limit reached\"}"`), in any key. Used for
 * the quota refusal, where a missed match would count a full quota as "too late".
 */
function mentions(body: unknown, phrase: string): boolean {
  if (body === undefined || body === null) return false;
  let text: string;
  try {
    text = typeof body === "string" ? body : JSON.stringify(body);
  } catch {
    return false;
  }
  const words = (t: string) => t.toLowerCase().replace(/[\\"'\s]+/g, " ");
  return words(text).includes(words(phrase));
}

/** A request that got no HTTP answer: a timeout or a network failure, retryable. */
function transportError(err: unknown, { method, path, baseUrl }: RequestSite): SendGridError {
  // Transport failures come straight from axios and carry the request config (with the
  // Authorization header): keep only the error code.
  const code = typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
  const timedOut =
    code === "ECONNABORTED" || code === "ETIMEDOUT" || (code === undefined && /timeout/i.test(String((err as Error)?.message)));
  return new SendGridError({
    code: timedOut ? "TIMEOUT" : "NETWORK",
    method,
    path,
    retryable: true,
    message: `SendGrid ${method} ${path} failed: ${timedOut ? "no answer in time" : "could not reach"} ${baseUrl}${code ? ` (${code})` : ""}`,
    hint: timedOut
      ? "SendGrid or the network was too slow or down (check status.sendgrid.com); the request may still have reached SendGrid"
      : "Check that the host is right and reachable from here (network, proxy, firewall)",
  });
}
