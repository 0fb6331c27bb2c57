import { Client, Connection, WorkflowUpdateFailedError } from "@temporalio/client";
import { DefaultLogger, NativeConnection, Runtime, Worker } from "@temporalio/worker";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTimeSkipping, testServers, uniqueName, type TimeSkippingServer } from "../src/index.ts";
import { createFixtureActivities } from "./fixtures/activities.ts";
import { votesQuery, voteUpdate, votingWorkflow } from "./fixtures/workflows.ts";

Runtime.install({ logger: new DefaultLogger("WARN") });

const workflowsPath = fileURLToPath(new URL("./fixtures/workflows.ts", import.meta.url));

/** Runs the fixture workflow on a fresh task queue: a refused update, an accepted one, then the timer. */
async function exerciseVotingWorkflow(
  client: Client,
  connection: NativeConnection,
  closeAfter: "2 seconds" | "30 minutes",
): Promise<string> {
  const taskQueue = uniqueName("voting");
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath,
    activities: createFixtureActivities(),
  });
  return worker.runUntil(async () => {
    const handle = await client.workflow.start(votingWorkflow, {
      taskQueue,
      workflowId: uniqueName("vote"),
      args: [{ closeAfter }],
    });

    const refused = handle.executeUpdate(voteUpdate, { args: [{ voter: "ana", choice: "maybe" }] });
    await expect(refused).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(refused).rejects.toMatchObject({
      cause: { message: 'vote.choice must be "yes" or "no", got "maybe"' },
    });
    expect(await handle.query(votesQuery)).toEqual([]);

    expect(await handle.executeUpdate(voteUpdate, { args: [{ voter: "ana", choice: "yes" }] })).toBe(1);
    expect(await handle.query(votesQuery)).toEqual([{ voter: "ana", choice: "yes" }]);

    return handle.result();
  });
}

describe("Temporal dev server (shared, from global setup)", () => {
  let connection: NativeConnection;
  let clientConnection: Connection;

  beforeAll(async () => {
    const { temporalAddress } = testServers();
    connection = await NativeConnection.connect({ address: temporalAddress });
    clientConnection = await Connection.connect({ address: temporalAddress });
  });
  afterAll(async () => {
    await clientConnection.close();
    await connection.close();
  });

  it("runs a workflow with an update validator and a timer", async () => {
    const started = Date.now();
    const result = await exerciseVotingWorkflow(
      new Client({ connection: clientConnection }),
      connection,
      "2 seconds",
    );
    expect(result).toBe("1 yes, 0 no");
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });
});

describe("Temporal time-skipping server (per file)", () => {
  let server: TimeSkippingServer | undefined;

  beforeAll(async () => {
    server = await startTimeSkipping();
  });
  afterAll(() => server?.stop());

  it("skips a 30 minute timer", async () => {
    const started = Date.now();
    const { env } = server ?? expect.unreachable("time-skipping server did not start");
    const result = await exerciseVotingWorkflow(env.client, env.nativeConnection, "30 minutes");
    expect(result).toBe("1 yes, 0 no");
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
