// `sendgrid-batches orphans --clear` (the built bin) against a create that is still running, where
// the journal cannot tell whether it is. The journal told a live run from a dead one by host name and
// process id: a `minted` line of this host name whose pid answered nothing here was "a run that is
// over". A `pulumi up` in a container that shares the machine's host name but not its process ids
// (`docker run --uts=host`, a Kubernetes pod with hostNetwork), writing the same journal (a mounted
// workspace), is such a run. While its status write was on the wire, `orphans --clear` proved its
// batch "ours" and DELETEd the status; the create then handed the id to the engine as `paused`: the
// stack declared it paused, SendGrid held no status, the application's mail on it was delivered
// (second adversarial review). Lines now carry the writer's pid namespace and boot id: one of this
// host name and boot in another namespace (or one that does not say, from an earlier build) is
// "running?", never proof. And a create reads the journal again after its `handed` line: a batch
// another process claimed first (a run on another machine, which the journal cannot check) is not
// handed.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { Journal, type JournalWriter, SendGridBatchClient, provision } from "../core";
import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const proxy = useSendGridProxy(sg);

afterEach(() => {
  proxy.rules.holdAnswerMs = undefined;
});

/** A pid no process of this PID namespace has (one that just exited): what another namespace's pid looks like here. */
function pidOfAnotherNamespace(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

/** This machine's boot id (Linux), as a writer on it records it. */
function bootId(): string | undefined {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

const URN = "urn:pulumi:dev::shop::sendgrid-batch:index:ScheduledBatch::newsletter";

/**
 * A paused create by `writer` (core provision, as the plugin calls it) whose status write SendGrid
 * applies at once but answers 4 s later; `orphans --clear` runs while that answer is on the way.
 * Then the application mails on whatever id the create handed, and the clock passes its send time.
 */
async function createRacingOrphans(writer: JournalWriter) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orphans-ns-"));
  const file = path.join(dir, "journal.jsonl");
  const journal = new Journal(file, { writer });
  const client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: proxy.url });
  proxy.rules.holdAnswerMs = { POST: 4000 };
  const creating = provision(client, { status: "paused" }, { journal, resource: URN });

  // The status write is applied at SendGrid (its answer is still on the way).
  let x: string | undefined;
  for (let i = 0; i < 200 && x === undefined; i++) {
    x = (await sg.admin.batches()).find((b) => b.status === "paused")?.batch_id;
    if (x === undefined) await new Promise((r) => setTimeout(r, 25));
  }
  expect(x).toBeDefined();
  const batchId = x as string;

  // The operator, on the machine, with the stack's export from before the run (no pending operation yet).
  const state = tempFile("stack.json", stackExport([]));
  const orphans = await runBatchesBin(["orphans", "--clear", "--yes", "--state", state, "--journal", file, "--api-url", proxy.url]);

  const made = await creating.then(
    (m) => ({ handed: m.batchId, status: m.status }),
    (err: { code?: string }) => ({ refused: err.code }),
  );
  if ("handed" in made) {
    const sent = await call(sg.emulator, "POST", "/v3/mail/send", {
      body: mail({ batch_id: made.handed, send_at: (await sg.admin.now()) + 3600, subject: "held on the newsletter" }),
    });
    expect(sent.status).toBe(202);
  }
  const deletes = (await sg.admin.requests()).filter((q) => q.method === "DELETE").length;
  const sendGrid = (await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status ?? "active";
  await sg.admin.advanceClock(2 * 3600);
  const fates = (await sg.admin.messages()).map((m) => m.fate);
  return { batchId, orphans, made, deletes, sendGrid, fates };
}

test.each([
  ["in a container with this host name (another pid namespace)", { pidns: "pid:[4026532999]", boot: bootId() }],
  ["of an earlier build, which did not record its pid namespace", {}],
])(
  "orphans --clear while a create %s is between its status write and its hand-over: the batch is `running?`, not cleared; the stack's held mail stays held",
  async (_name, where) => {
    const r = await createRacingOrphans({ run: randomUUID(), host: os.hostname(), pid: pidOfAnotherNamespace(), ...where });
    expect(r.orphans.stdout).toMatch(new RegExp(`running\\?  ${r.batchId}  paused .*whether that run is over cannot be checked from here`));
    expect({ orphansCode: r.orphans.code, deletes: r.deletes, made: r.made, sendGrid: r.sendGrid, fates: r.fates }).toEqual({
      orphansCode: 0,
      deletes: 0,
      made: { handed: r.batchId, status: "paused" },
      sendGrid: "paused",
      fates: ["scheduled"],
    });
  },
);

test("a create on another machine (the journal counts it as over) whose batch `orphans --clear` claims and clears meanwhile does not hand it: no program gets an id whose status was cleared", async () => {
  const r = await createRacingOrphans({ run: randomUUID(), host: "ci-runner-9", pid: 4242 });
  expect(r.orphans.stdout).toContain(`cleared ${r.batchId} (was paused)`);
  expect({ orphansCode: r.orphans.code, deletes: r.deletes, made: r.made, sendGrid: r.sendGrid, fates: r.fates }).toEqual({
    orphansCode: 0,
    deletes: 1,
    made: { refused: "BATCH_CLAIMED" },
    sendGrid: "active",
    fates: [],
  });
});
