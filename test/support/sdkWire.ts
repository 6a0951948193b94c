// The one program every SDK test runs under Pulumi's mocks (an explicit provider for an EU subuser
// with its key, a paused batch adopted through it, a cancelled batch on the default provider), and
// the wire it must produce: what the engine would receive in each RegisterResource request. The
// TypeScript classes (plugin/index.ts), the generated Node.js, Python and Go SDKs are each held to
// it: test/sdk-nodejs.test.ts, test/sdk-python.test.ts, test/sdk-go.test.ts.
import { version } from "../../package.json";
import { PACKAGE, RESOURCE_TOKEN } from "../../plugin/names";

export const SCENARIO = {
  apiKey: "SG.sdk-wire-test-key",
  onBehalfOf: "subuser-a",
  apiUrl: "http://127.0.0.1:3030",
  sendAtSeconds: 1767261600,
  sendAtIso: "2026-01-01T09:00:00Z",
  batchId: "HkJ5yLYU-adopted",
};

/** One RegisterResource request as an SDK sent it (the property struct raw: secrets still wrapped). */
export interface Registration {
  type: string;
  name: string;
  object: Record<string, unknown>;
  /** The provider reference; normalised to the provider's id, as each language's mocks spell URNs differently. */
  provider: string;
  version: string;
  additionalSecretOutputs: string[];
}

/** How Pulumi's wire marks a secret value (sdk/go/common/resource/sig). */
const secret = (value: string) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

/**
 * The wire of SCENARIO. `version` is the plugin version a registration asks for: the generated SDKs
 * ask for their own (package.json's, through the schema), the TypeScript classes for none.
 */
export function expectedWire(sdkVersion: string): Registration[] {
  const common = { version: sdkVersion, additionalSecretOutputs: [] };
  return [
    { type: RESOURCE_TOKEN, name: "digest", object: { status: "cancelled", sendAt: SCENARIO.sendAtIso }, provider: "", ...common },
    {
      type: `pulumi:providers:${PACKAGE}`,
      name: "eu",
      object: { apiKey: secret(SCENARIO.apiKey), region: "eu", onBehalfOf: SCENARIO.onBehalfOf, apiUrl: SCENARIO.apiUrl },
      provider: "",
      ...common,
    },
    {
      type: RESOURCE_TOKEN,
      name: "newsletter",
      object: { status: "paused", sendAt: SCENARIO.sendAtSeconds, batchId: SCENARIO.batchId },
      provider: "eu-id",
      ...common,
    },
  ];
}

/** The generated SDKs' version: package.json's. */
export const SDK_VERSION = version;

/** Sorted by name, provider references reduced to the provider's id (`<urn>::<id>` → `<id>`). */
export function normalise(registrations: Registration[]): Registration[] {
  return registrations
    .map((r) => ({ ...r, provider: r.provider === "" ? "" : (r.provider.split("::").pop() ?? "") }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
