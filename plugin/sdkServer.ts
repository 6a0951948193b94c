// What the provider server of @pulumi/pulumi 3.248 (`@pulumi/pulumi/provider`'s `main`) lacks for
// this plugin, added once at start-up, before `main` runs. Each piece is named and small:
//
// 1. allowReadWithoutProperties — upstream defect: the server's `read` calls
//    `req.getProperties().toJavaScript()`, but the Read request of `pulumi import` (and of the
//    `import` resource option) carries only the id, so it throws "Cannot read properties of
//    undefined (reading 'toJavaScript')" and import fails. The engine's Read omits properties by
//    design (providers must read by id: pulumi/pulumi-pulumiservice#311 fixed the same thing in a
//    Go provider); the Node server is the one that cannot cope. Fix: an absent properties Struct
//    reads as an empty one. Remove when the SDK checks `hasProperties()`.
// 2. addProviderConfigRpcs — the server answers CheckConfig and DiffConfig with UNIMPLEMENTED,
//    ignores the config Configure carries, and drops `detailedDiff` from Diff (its DiffResult has
//    no such field). A provider whose account is its configuration needs all four, so they are
//    added to the service object `main` registers.
//
// Both are patches over the SDK's internals, so neither may be skipped silently: a future SDK that
// builds its Read request or registers its service another way would leave the plugin without its
// Configure (calls to the default host with SENDGRID_API_KEY instead of the configured account).
// `shimProblem` checks, once `main` has registered the service, that both took effect; the plugin
// refuses to start when they did not (main.ts).

import type * as pb from "@pulumi/pulumi/proto/provider_pb";
import type { Failure } from "../core";
import type { DiffResult, PropertyDiffKind } from "../pulumi/lifecycle";
import { grpc, providerProto as provproto, providerRpc as provrpc, structPb } from "./sdkModules";

type Props = Record<string, unknown>;

// The very modules the SDK's server uses (sdkModules.ts: a second copy would not see the patches).
const { Struct } = structPb;

let readShimmed = false;
let shimmedGetProperties: unknown;

/** Shim 1 (see above): a Read request without properties reads as having empty properties. */
export function allowReadWithoutProperties(): void {
  if (readShimmed) return;
  readShimmed = true;
  const proto = provproto.ReadRequest.prototype;
  const original = proto.getProperties;
  proto.getProperties = function getPropertiesOrEmpty(this: pb.ReadRequest) {
    return original.call(this) ?? new Struct();
  };
  shimmedGetProperties = proto.getProperties;
}

/** What the plugin answers to the RPCs the SDK's server does not implement. */
export interface ProviderConfigRpcs {
  /** Configure: the provider's config, as `<package>:config:<key>` variables (plain strings). */
  configure(variables: ReadonlyMap<string, string>): void;
  checkConfig(olds: Props, news: Props): { inputs: Props; failures: Failure[] };
  diffConfig(olds: Props, news: Props): DiffResult;
  /** Diff of a resource, with detailedDiff. */
  diff(id: string, olds: Props, news: Props): DiffResult;
}

type Callback<T> = (err: Error | null, value?: T) => void;
interface Call<T> {
  request: T;
}

const KINDS: Record<PropertyDiffKind, pb.PropertyDiff.Kind> = {
  add: provproto.PropertyDiff.Kind.ADD,
  "add-replace": provproto.PropertyDiff.Kind.ADD_REPLACE,
  delete: provproto.PropertyDiff.Kind.DELETE,
  "delete-replace": provproto.PropertyDiff.Kind.DELETE_REPLACE,
  update: provproto.PropertyDiff.Kind.UPDATE,
  "update-replace": provproto.PropertyDiff.Kind.UPDATE_REPLACE,
};

function diffResponse(result: DiffResult): pb.DiffResponse {
  const resp = new provproto.DiffResponse();
  resp.setChanges(result.changes ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
  resp.setReplacesList(result.replaces);
  resp.setDeletebeforereplace(result.deleteBeforeReplace);
  resp.setDiffsList(Object.keys(result.detailedDiff));
  resp.setHasdetaileddiff(true);
  const map = resp.getDetaileddiffMap();
  for (const [key, kind] of Object.entries(result.detailedDiff)) {
    const d = new provproto.PropertyDiff();
    d.setKind(KINDS[kind]);
    d.setInputdiff(true);
    map.set(key, d);
  }
  return resp;
}

function guarded<Req, Res>(fn: (req: Req) => Res): (call: Call<Req>, callback: Callback<Res>) => void {
  return (call, callback) => {
    try {
      callback(null, fn(call.request));
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
    }
  };
}

function handlers(rpcs: ProviderConfigRpcs) {
  return {
    configure: guarded<pb.ConfigureRequest, pb.ConfigureResponse>((req) => {
      const vars = new Map<string, string>();
      req.getVariablesMap().forEach((v, k) => {
        vars.set(k, v);
      });
      rpcs.configure(vars);
      const resp = new provproto.ConfigureResponse();
      // Plain values in, plain values out: the resource has no secret or resource-valued inputs.
      resp.setAcceptsecrets(false);
      resp.setAcceptresources(false);
      resp.setAcceptoutputs(false);
      resp.setSupportspreview(false); // preview never calls create/update: zero SendGrid requests
      return resp;
    }),
    checkConfig: guarded<pb.CheckRequest, pb.CheckResponse>((req) => {
      const result = rpcs.checkConfig((req.getOlds()?.toJavaScript() ?? {}) as Props, (req.getNews()?.toJavaScript() ?? {}) as Props);
      const resp = new provproto.CheckResponse();
      resp.setInputs(Struct.fromJavaScript(result.inputs as Parameters<typeof Struct.fromJavaScript>[0]));
      resp.setFailuresList(
        result.failures.map((f) => {
          const failure = new provproto.CheckFailure();
          failure.setProperty(f.property);
          failure.setReason(f.reason);
          return failure;
        }),
      );
      return resp;
    }),
    diffConfig: guarded<pb.DiffRequest, pb.DiffResponse>((req) =>
      diffResponse(rpcs.diffConfig((req.getOlds()?.toJavaScript() ?? {}) as Props, (req.getNews()?.toJavaScript() ?? {}) as Props)),
    ),
    diff: guarded<pb.DiffRequest, pb.DiffResponse>((req) =>
      diffResponse(rpcs.diff(req.getId(), (req.getOlds()?.toJavaScript() ?? {}) as Props, (req.getNews()?.toJavaScript() ?? {}) as Props)),
    ),
  };
}

let configRpcsAdded = false;
/** Our handlers, and what the ResourceProvider service was last registered with through the patch. */
let ourHandlers: Record<string, unknown> | undefined;
let registered: Record<string, unknown> | undefined;

/**
 * Shim 2 (see above): when `main` registers the ResourceProvider service, these handlers take the
 * place of the SDK's configure/checkConfig/diffConfig/diff; every other RPC stays the SDK's.
 */
export function addProviderConfigRpcs(rpcs: ProviderConfigRpcs): void {
  if (configRpcsAdded) return;
  configRpcsAdded = true;
  const added = handlers(rpcs);
  ourHandlers = added;
  const original = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function addServiceWithConfigRpcs(this: InstanceType<typeof grpc.Server>, service, implementation) {
    if (service !== provrpc.ResourceProviderService) return original.call(this, service, implementation);
    // The SDK's server is a class instance: keep its methods (and `this`) for everything else.
    const sdk = implementation as Record<string, unknown>;
    const merged: Record<string, unknown> = {};
    for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(sdk))) {
      const fn = sdk[name];
      if (name !== "constructor" && typeof fn === "function") merged[name] = fn.bind(sdk);
    }
    registered = { ...merged, ...added };
    return original.call(this, service, registered as typeof implementation);
  };
}

/** The RPCs the plugin must answer itself: without them it has no Configure (see above). */
export const OWN_RPCS = ["configure", "checkConfig", "diffConfig", "diff"] as const;

/**
 * Why the two shims did not take effect with the loaded SDK, or undefined when they did: the Read
 * shim is in place and reads an empty Read request, and the ResourceProvider service was registered
 * through addProviderConfigRpcs with this plugin's own configure, checkConfig, diffConfig and diff.
 * Call it after `main` has registered the service.
 */
export function shimProblem(): string | undefined {
  if (!readShimmed || provproto.ReadRequest.prototype.getProperties !== shimmedGetProperties) {
    return "the plugin's shim of ReadRequest.getProperties is not in place";
  }
  if (!(new provproto.ReadRequest().getProperties() instanceof Struct)) {
    return "a Read request without properties does not read as empty properties";
  }
  if (!configRpcsAdded || ourHandlers === undefined || registered === undefined) {
    return `its provider server registered the ResourceProvider service another way, without the plugin's own ${OWN_RPCS.join(", ")}`;
  }
  const handlersNow = ourHandlers;
  const registeredNow = registered;
  const notOurs = OWN_RPCS.filter((name) => registeredNow[name] !== handlersNow[name]);
  if (notOurs.length > 0) return `the registered ResourceProvider service does not use the plugin's own ${notOurs.join(", ")}`;
  return undefined;
}
