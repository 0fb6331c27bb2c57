// The usage view's lease against a NATS server of this test's own, stopped and restarted on the same
// port and data directory: confirmed once caught up, unknown when the stream goes silent for longer
// than the lease, confirmed again after the server is back, and nothing folded twice or lost.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectNats,
  createPublisher,
  drainNats,
  events,
  provisionTopology,
  topology,
} from "@warden/messaging";
import type { EventPublisher } from "@warden/messaging";
import { createLogger } from "@warden/telemetry";
import { freePort, startNats } from "@warden/testing";
import type { NatsServer } from "@warden/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { createUsageWatcher } from "../src/adapters/nats/nats-usage-view.ts";
import type { UsageWatcher } from "../src/adapters/nats/nats-usage-view.ts";
import { present, WAIT } from "./support.ts";

const LEASE_MS = 1_500;
const t = topology("usagelease");
let dataDir: string;
let port: number;
let server: NatsServer | undefined;
let nc: NatsConnection | undefined;
let publisher: EventPublisher;
let usage: UsageWatcher | undefined;

let seq = 0;
async function decided(agentId: string): Promise<void> {
  seq += 1;
  await publisher.publish(t.subjects.decision("allow", agentId), events.decisionMade, {
    actionId: `lease-${seq}`,
    data: {
      actionId: `lease-${seq}`,
      agentId,
      outcome: "OUTCOME_ALLOW",
      bundleDigest: "sha256:00",
      evaluatedAt: new Date().toISOString(),
    },
  });
}

const count = (agentId: string): number | undefined => {
  const u = usage?.current(agentId, undefined, Date.now());
  return u?.state === "confirmed" ? u.requestsLastMinute : undefined;
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "warden-usage-lease-"));
  port = await freePort();
  server = await startNats({ port, dataDir });
  nc = await connectNats({ servers: server.url, name: "usage-lease-test" });
  await provisionTopology(nc, t);
  publisher = createPublisher(nc, { source: "policy" });
}, 60_000);

afterAll(async () => {
  await usage?.close();
  if (nc !== undefined) await drainNats(nc).catch(() => undefined);
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it("is confirmed while the stream answers, unknown while it is down, and recovers without loss", async () => {
  await decided("agent-a");
  await decided("agent-a");
  if (nc === undefined) throw new Error("not connected");
  const watcher = createUsageWatcher(nc, t, {
    log: createLogger({ service: "usage-test", level: "silent" }),
    leaseMs: LEASE_MS,
  });
  usage = watcher;
  watcher.track(["agent-a"]);
  expect(await watcher.caughtUp(10_000)).toBe(true);
  // Caught up, and stays confirmed on idle heartbeats alone, past several leases.
  expect(count("agent-a")).toBe(2);
  // The wait is the behaviour under test: confirmed on idle heartbeats alone, with nothing published
  // for three leases; nothing happens that a poll could wait for.
  await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS));
  expect(watcher.status()).toEqual({ state: "confirmed" });

  await server?.stop();
  server = undefined;
  const unknown = await vi.waitFor(() => {
    const u = usage?.current("agent-a", undefined, Date.now());
    return present(
      u?.state === "unknown" ? u : undefined,
      "the usage to become unknown with the server gone",
    );
  }, WAIT);
  expect(unknown.reason).toMatch(/not confirmed for 1500 ms|not caught up|consumer recreated/);

  server = await startNats({ port, dataDir });
  await expect
    .poll(() => usage?.status().state, { ...WAIT, timeout: 30_000, message: "confirmed again" })
    .toBe("confirmed");
  await decided("agent-a");
  await expect.poll(() => count("agent-a"), { ...WAIT, message: "the decision after the restart" }).toBe(3);
  expect(watcher.folded()).toBe(3);
}, 90_000);
