// The modules of @pulumi/pulumi's provider server that the plugin patches or speaks with (its gRPC
// transport, its protobuf messages), loaded from the server's own location: a second copy of
// @grpc/grpc-js or google-protobuf, which an npm tree may hold, would not see the patches
// (sdkServer.ts) or would build messages the server does not recognise.
//
// The self-contained executable (scripts/release/) has no node_modules to resolve from at run time:
// its bundler replaces this module with direct requires of the same ids resolved from the same
// directory (SDK_SERVER's), so both ways load the very same files.

import { createRequire } from "node:module";
import type * as engineRpcTypes from "@pulumi/pulumi/proto/engine_grpc_pb";
import type * as engineProtoTypes from "@pulumi/pulumi/proto/engine_pb";
import type * as providerProtoTypes from "@pulumi/pulumi/proto/provider_pb";

/** The SDK's provider server: every id below is resolved from its directory. */
export const SDK_SERVER = "@pulumi/pulumi/provider/server";

/** What is loaded, by export name: the ids exactly as the SDK's server requires them. */
export const SDK_MODULE_IDS = {
  grpc: "@grpc/grpc-js",
  providerProto: "../proto/provider_pb",
  providerRpc: "../proto/provider_grpc_pb",
  engineProto: "../proto/engine_pb",
  engineRpc: "../proto/engine_grpc_pb",
  structPb: "google-protobuf/google/protobuf/struct_pb",
  sdkPackage: "../package.json",
} as const;

const sdkRequire = createRequire(require.resolve(SDK_SERVER));

export const grpc = sdkRequire(SDK_MODULE_IDS.grpc) as typeof import("@grpc/grpc-js");
export const providerProto = sdkRequire(SDK_MODULE_IDS.providerProto) as typeof providerProtoTypes;
export const providerRpc = sdkRequire(SDK_MODULE_IDS.providerRpc) as { ResourceProviderService: object };
export const engineProto = sdkRequire(SDK_MODULE_IDS.engineProto) as typeof engineProtoTypes;
export const engineRpc = sdkRequire(SDK_MODULE_IDS.engineRpc) as typeof engineRpcTypes;
export const structPb = sdkRequire(SDK_MODULE_IDS.structPb) as typeof import("google-protobuf/google/protobuf/struct_pb");
/** The SDK's own package.json: its version is named when the plugin refuses to start (main.ts). */
export const sdkPackage = sdkRequire(SDK_MODULE_IDS.sdkPackage) as { version: string };
