// The transition table (test/support/transitions.ts) through the built Lambda bundle, each run alone
// in a fresh Node process, with the CloudFormation events a stack update sends for each row: the
// fixtures of test/fixtures/cfn/ with the declared properties filled in. A stand-in "CloudFormation"
// here keeps each resource's physical id and last properties, as the real one does, and sends what
// it would: Create for a new resource, Update for a changed one, Update then Delete of the old id
// for a replace, Delete (with the last properties) for a removed one, nothing for a refresh.
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { PARAMETER_NAME, SECRET_ARN, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { walkTransitions } from "./support/transitionWalk";
import { SUBUSER, type Account, type Declared, type Program } from "./support/transitions";

jest.setTimeout(120_000);

const sg = useEmulator();
const lambda = useLambdaBundle({
  secrets: { [SECRET_ARN]: DEFAULT_EMULATOR_API_KEY },
  parameters: { [PARAMETER_NAME]: DEFAULT_EMULATOR_API_KEY },
});

interface Deployed {
  physicalId: string;
  declared: Declared;
  batchId?: string;
}

/** What CloudFormation knows: each logical resource's physical id and last deployed properties. */
const deployed: Record<string, Deployed> = {};
/** Every physical id a logical resource held, the latest last (kept after removal, for the table's checks). */
const lastId: Record<string, { batchId: string; account: Account }> = {};

/** The template's properties for a declared resource, written over the fixture's. */
function fill(props: Record<string, unknown>, d: Declared, batchId: string | undefined): void {
  props.Status = d.status;
  if (d.account === "subuser") props.OnBehalfOf = SUBUSER;
  else delete props.OnBehalfOf;
  if (batchId === undefined) delete props.BatchId;
  else props.BatchId = batchId;
}

/** Run one event through the bundle; CloudFormation's answer must be SUCCESS. Returns the physical id. */
async function invoke(
  fixture: string,
  logicalId: string,
  physicalId: string | undefined,
  next?: Deployed,
  old?: Deployed,
): Promise<string> {
  const server = await startResponseServer();
  try {
    const event = loadEvent(fixture, { SECRET_ARN, API_URL: sg.url, PHYSICAL_ID: physicalId ?? "" }, server.url);
    event.LogicalResourceId = logicalId;
    if (next) fill(event.ResourceProperties, next.declared, next.batchId);
    if (old) fill(event.OldResourceProperties as Record<string, unknown>, old.declared, old.batchId);
    const run = await runBundle(lambda.dir, event, { env: awsEnv(lambda.aws) });
    expect(run.code).toBe(0);
    expect(server.received).toHaveLength(1);
    const body = server.received[0].json;
    expect([fixture, body.Status, body.Reason]).toEqual([fixture, "SUCCESS", undefined]);
    return String(body.PhysicalResourceId);
  } finally {
    await server.close();
  }
}

async function remove(name: string): Promise<void> {
  const was = deployed[name];
  // Delete carries the last deployed properties (no OldResourceProperties).
  await invoke("delete.json", name, was.physicalId, was);
  delete deployed[name];
}

/** The events CloudFormation sends to take the stack from what it deployed to `program`. */
async function deploy(program: Program, made: Readonly<Record<string, string>>): Promise<void> {
  for (const name of Object.keys(deployed)) if (!(name in program)) await remove(name);
  for (const [name, declared] of Object.entries(program)) {
    const next: Deployed = { physicalId: "", declared, batchId: declared.adopt === undefined ? undefined : made[declared.adopt] };
    const was = deployed[name];
    if (!was) {
      next.physicalId = await invoke("create.json", name, undefined, next);
    } else if (was.declared.account !== declared.account) {
      // The handler answers with a new physical id; CloudFormation then deletes the old one.
      next.physicalId = await invoke("replace-1-update-onbehalfof.json", name, was.physicalId, next, was);
      expect(next.physicalId).not.toBe(was.physicalId);
      await invoke("replace-2-delete-old.json", name, was.physicalId, was);
    } else if (was.declared.status !== declared.status) {
      next.physicalId = await invoke("update-status.json", name, was.physicalId, next, was);
      expect(next.physicalId).toBe(was.physicalId);
    } else {
      continue; // an unchanged resource gets no event
    }
    deployed[name] = next;
    lastId[name] = { batchId: next.physicalId, account: declared.account };
  }
}

walkTransitions(sg, () => ({
  async run(op, program, made) {
    if ("up" in op) await deploy(program, made);
    else if ("destroy" in op) for (const name of Object.keys(deployed)) await remove(name);
    // A refresh: CloudFormation has none, so no event (the table's row says so).
  },
  idOf(name) {
    const id = lastId[name];
    if (!id) throw new Error(`no batch recorded for ${name}`);
    return id;
  },
  deviation: (row) => row.lambda,
}));
