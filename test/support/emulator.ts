// One emulator per test file, over real HTTP, and the request-log view every suite asserts on.
import { EmulatorAdmin, startEmulator, type Emulator, type EmulatorOptions } from "../../emulator";

export interface SuiteEmulator {
  readonly emulator: Emulator;
  readonly admin: EmulatorAdmin;
  readonly url: string;
}

export interface UseEmulatorOptions extends EmulatorOptions {
  /** Reset the emulator (batches, request log, configuration) before each test of the file. */
  resetBeforeEach?: boolean;
}

/** Start an emulator before the file's tests and close it after them. */
export function useEmulator(opts: UseEmulatorOptions = {}): SuiteEmulator {
  const { resetBeforeEach, ...emulatorOptions } = opts;
  let emulator: Emulator | undefined;
  let admin: EmulatorAdmin | undefined;
  beforeAll(async () => {
    emulator = await startEmulator(emulatorOptions);
    admin = new EmulatorAdmin(emulator.url);
  });
  if (resetBeforeEach) beforeEach(() => started(admin).reset());
  afterAll(async () => {
    await emulator?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the emulator is not started yet (use it inside a test or hook)");
    return value;
  };
  return {
    get emulator() {
      return started(emulator);
    },
    get admin() {
      return started(admin);
    },
    get url() {
      return started(emulator).url;
    },
  };
}

/** The SendGrid (/v3) requests logged since the last call, as "METHOD /route/template"; clears the log. */
export async function takeSendGridCalls(admin: EmulatorAdmin): Promise<string[]> {
  const log = await admin.requests();
  await admin.clearRequests();
  return log.filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route}`);
}
