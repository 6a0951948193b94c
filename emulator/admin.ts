// A typed client for the inspection API (/__emulator/), over global fetch.

import type { ErrorResponse } from "../core/wire";
import type { BatchView, ClockView, EmulatorConfig, MessageView, RequestLogEntry, SeedMessageInput } from "./types";

export interface EmulatorInfo {
  accounts: string[];
  subusers: string[];
  now: number;
  config: EmulatorConfig;
}

export class EmulatorAdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorResponse | null,
    what: string,
  ) {
    super(`sendgrid emulator ${what} failed: ${status}${body ? ` ${body.errors.map((e) => e.message).join("; ")}` : ""}`);
    this.name = "EmulatorAdminError";
  }
}

export class EmulatorAdmin {
  private readonly base: string;

  /** `url` is the emulator's base URL (`Emulator.url`). */
  constructor(url: string) {
    this.base = url.replace(/\/+$/, "");
  }

  info(): Promise<EmulatorInfo> {
    return this.call<EmulatorInfo>("GET", "info");
  }

  requests(): Promise<RequestLogEntry[]> {
    return this.call<RequestLogEntry[]>("GET", "requests");
  }

  async clearRequests(): Promise<void> {
    await this.call<void>("DELETE", "requests");
  }

  batches(): Promise<BatchView[]> {
    return this.call<BatchView[]>("GET", "batches");
  }

  messages(): Promise<MessageView[]> {
    return this.call<MessageView[]>("GET", "messages");
  }

  /** Queues a scheduled message for any account or subuser batch (Mail Send cannot act for subusers). */
  seedMessage(input: SeedMessageInput): Promise<MessageView> {
    return this.call<MessageView>("POST", "messages", input);
  }

  async now(): Promise<number> {
    return (await this.call<ClockView>("GET", "clock")).now;
  }

  async advanceClock(seconds: number): Promise<number> {
    return (await this.call<ClockView>("POST", "clock", { advanceSeconds: seconds })).now;
  }

  async setNow(unixSeconds: number): Promise<number> {
    return (await this.call<ClockView>("POST", "clock", { now: unixSeconds })).now;
  }

  async reset(): Promise<void> {
    await this.call<void>("POST", "reset");
  }

  config(): Promise<EmulatorConfig> {
    return this.call<EmulatorConfig>("GET", "config");
  }

  configure(patch: Partial<EmulatorConfig>): Promise<EmulatorConfig> {
    return this.call<EmulatorConfig>("PUT", "config", patch);
  }

  private async call<T>(method: string, name: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}/__emulator/${name}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text === "" ? undefined : JSON.parse(text);
    if (!res.ok) throw new EmulatorAdminError(res.status, (parsed as ErrorResponse | undefined) ?? null, `${method} /__emulator/${name}`);
    return parsed as T;
  }
}
