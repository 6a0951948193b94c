// Where the bytes of a serialized dynamic provider go. Pulumi's closure serializer emits, per
// captured function, a `function __fN(…) { return (function() { with({…}) { return <source>; } })
// .apply(undefined, undefined).apply(this, arguments); }` wrapper around the function's source text,
// plus an object literal naming the methods and an entry function returning the provider.

export interface SerializedFunction {
  name: string;
  /** Bytes of the whole `function __fN…}` block, including the blank line after it. */
  blockBytes: number;
  /** Bytes of the function's own source text (what `Function.prototype.toString` gives). */
  sourceBytes: number;
}

export interface SerializedAnalysis {
  total: number;
  functions: number;
  methods: number;
  /** Median wrapper bytes per method function. */
  wrapperPerFunction: number;
  wrapperTotal: number;
  /** Median source bytes per method. */
  bodyBytesPerMethod: number;
  perFunction: SerializedFunction[];
  parts: { name: string; bytes: number }[];
  explanation: string;
}

const bytes = (s: string): number => Buffer.byteLength(s);

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

export function analyseSerializedProvider(text: string): SerializedAnalysis {
  const total = bytes(text);
  const starts = [...text.matchAll(/^function __f\d+\(/gm)].map((m) => m.index ?? 0);
  const preamble = starts.length ? text.slice(0, starts[0]) : text;
  const perFunction: SerializedFunction[] = [];
  for (let i = 0; i < starts.length; i++) {
    const block = text.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : text.length);
    const open = block.indexOf("\n\nreturn ");
    const close = block.lastIndexOf(";\n\n    }\n  }).apply(");
    const source = open >= 0 && close > open ? block.slice(open + "\n\nreturn ".length, close) : "";
    const named = /\/\*([A-Za-z_$][\w$]*)\*\//.exec(source);
    perFunction.push({
      name: named ? named[1] : i === starts.length - 1 || source.startsWith("()") ? "(entry)" : `#${i}`,
      blockBytes: bytes(block),
      sourceBytes: bytes(source),
    });
  }
  const methods = perFunction.filter((f) => f.name !== "(entry)");
  const entry = perFunction.filter((f) => f.name === "(entry)");
  const wrapperOf = (f: SerializedFunction) => f.blockBytes - f.sourceBytes;
  const wrapperTotal = methods.reduce((a, f) => a + wrapperOf(f), 0);
  const sourceTotal = methods.reduce((a, f) => a + f.sourceBytes, 0);

  // Inside the sources: the repeated package require, and indentation kept from the compiled file.
  const requires = [...text.matchAll(/require\("[^"]+"\)/g)].map((m) => m[0]);
  const requireBytes = requires.reduce((a, r) => a + bytes(r), 0);
  let indentBytes = 0;
  for (const m of text.matchAll(/\n(return )?(async )?function \/\*[^*]+\*\/\([^)]*\) \{\n( +)[^\n]*\n( +)\}/g)) {
    indentBytes += bytes(m[3]) + bytes(m[4]);
  }

  const parts = [
    {
      name: `${methods.length} method wrappers (function __fN(…) { return (function() { with({…}) { … } }).apply(…).apply(this, arguments); })`,
      bytes: wrapperTotal,
    },
    { name: `${methods.length} method sources: \`require("…")\` × ${requires.length}`, bytes: requireBytes },
    { name: `${methods.length} method sources: indentation kept from the compiled file`, bytes: indentBytes },
    { name: `${methods.length} method sources: the rest (signature, call, arguments)`, bytes: sourceTotal - requireBytes - indentBytes },
    { name: "entry function (`() => provider` in its wrapper)", bytes: entry.reduce((a, f) => a + f.blockBytes, 0) },
    { name: "preamble (`exports.handler = …; var __provider = {…}`)", bytes: bytes(preamble) },
  ];
  const accounted = parts.reduce((a, p) => a + p.bytes, 0);
  if (accounted !== total) parts.push({ name: "other", bytes: total - accounted });

  const wrapperPerFunction = medianOf(methods.map(wrapperOf));
  const bodyBytesPerMethod = medianOf(methods.map((f) => f.sourceBytes));
  const explanation =
    `**Why ${total.toLocaleString("en-US")} bytes.** The provider is an object literal of ${methods.length} methods (${methods.map((m) => m.name).join(", ")}). ` +
    `Pulumi's closure serializer turns each captured function into its own \`function __fN\` whose wrapper — the \`with({ this: undefined, arguments: undefined })\` ` +
    `scope and the double \`.apply\` that rebinds \`this\`/\`arguments\` — costs ${wrapperPerFunction} bytes regardless of the body; the ${methods.length} wrappers are ` +
    `${wrapperTotal.toLocaleString("en-US")} bytes (${((100 * wrapperTotal) / total).toFixed(0)} %). The bodies are one-line delegations of about ${bodyBytesPerMethod} bytes each, ` +
    `${requireBytes.toLocaleString("en-US")} bytes of which is the package name in \`require("pulumi-sendgrid-scheduled-batch/runtime")\` repeated ${requires.length}×. ` +
    "So the size scales with the number of methods, about " +
    `${wrapperPerFunction + bodyBytesPerMethod} bytes per method, not with the provider's logic (which lives in the runtime module and is never serialized).`;
  return {
    total,
    functions: perFunction.length,
    methods: methods.length,
    wrapperPerFunction,
    wrapperTotal,
    bodyBytesPerMethod,
    perFunction,
    parts,
    explanation,
  };
}

// ---------------------------------------------------------------------------------------------
// Variants, serialized in this process with the same serializer the dynamic-provider SDK uses
// (`serializeFunction(() => provider)`), to put numbers on what would shrink the text. No copies of
// provider code: "as shipped" is the real provider object (checked against the text found in state),
// "without diff" a shallow copy of it without that key (so the same method functions are serialized).

import * as pulumi from "@pulumi/pulumi";
import { provider as shippedProvider } from "../../provider/scheduledBatch";

export interface Variant {
  name: string;
  bytes: number;
}

export interface Variants {
  asShipped: Variant & { text: string };
  withoutDiff: Variant;
  moduleInstalled: Variant;
  moduleLinked: Variant;
}

async function serialized(provider: object): Promise<string> {
  // Named `provider` like the SDK's captured variable, so the text matches byte for byte.
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

export async function serializedVariants(): Promise<Variants> {
  const text = await serialized(shippedProvider);
  const methods = Object.keys(shippedProvider);
  const withoutDiff = Object.fromEntries(Object.entries(shippedProvider).filter(([k]) => k !== "diff"));
  // The provider object as a module's exports: the serializer then emits `require("<module>")`
  // instead of the object — but only for a module under node_modules. Measured with a package that
  // is installed (axios), and with this package's runtime, which is linked here (file:.), so its
  // real path is outside node_modules and the serializer copies the whole module graph by value.
  const installed = require("axios") as object;
  const linked = require("pulumi-sendgrid-scheduled-batch/runtime") as object;
  return {
    asShipped: {
      name: `as shipped: the exported \`provider\` (${methods.length} async methods), serialized here`,
      bytes: bytes(text),
      text,
    },
    withoutDiff: { name: "the same object without `diff` (default diff + replaceOnChanges)", bytes: bytes(await serialized(withoutDiff)) },
    moduleInstalled: {
      name: "provider = a module's exports, package installed in node_modules (axios as stand-in)",
      bytes: bytes(await serialized(installed)),
    },
    moduleLinked: {
      name: "provider = runtime module's exports, package linked (file:.) as in this repo",
      bytes: bytes(await serialized(linked)),
    },
  };
}
