// Everything one running emulator holds, and the run-time operations on it (config, reset).

import type { Accounts } from "./auth";
import { Clock } from "./clock";
import { FaultInjector } from "./faults";
import { RateLimiter } from "./rateLimit";
import { RequestLog } from "./requestLog";
import { EmulatorState } from "./state";
import type { EmulatorConfig } from "./types";

export class Runtime {
  readonly clock: Clock;
  readonly state: EmulatorState;
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly log = new RequestLog();
  config: EmulatorConfig;

  constructor(
    private readonly initial: EmulatorConfig,
    readonly accounts: Accounts,
    startNow?: number,
  ) {
    this.config = { ...initial };
    this.clock = new Clock(startNow);
    this.state = new EmulatorState(this.clock);
    this.limiter = new RateLimiter(initial.rateLimit);
    this.faults = new FaultInjector(initial.faults);
  }

  configure(patch: Partial<EmulatorConfig>): EmulatorConfig {
    this.config = { ...this.config, ...patch };
    // Changing the limit starts fresh windows; changing faults re-seeds the generator.
    if (patch.rateLimit !== undefined) this.limiter.configure(this.config.rateLimit);
    if (patch.faults !== undefined) this.faults.configure(this.config.faults);
    return this.config;
  }

  /** All data, the log, rate-limit windows and the config go back to the start; the clock to real time. */
  reset(): void {
    this.state.reset();
    this.log.clear();
    this.config = { ...this.initial };
    this.limiter.configure(this.config.rateLimit);
    this.faults.configure(this.config.faults);
  }
}
