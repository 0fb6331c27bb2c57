// End to end, each service its own process: the kill switch and two policy replicas. Activate →
// both replicas deny → Status shows both acknowledgements → two-person resume → allowed again.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { commonV1, killswitchV1, policyV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { connectNats, drainNats, topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServiceProcess } from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";

const governance = fileURLToPath(new URL("../../governance", import.meta.url));
const t = topology(uniqueName("kse2e").toLowerCase());
let dir: string;
let issuer: DevIssuer;
const processes: ServiceProcess[] = [];
const clients: { close(): void }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-ks-e2e-"));
  const keyFile = join(dir, "dev-issuer.pem");
  issuer = await createDevIssuer({ issuer: "warden-e2e", audience: "warden", keyFile });
  const creds = async (identity: string): Promise<Record<string, string>> => {
    const file = await natsCredsFile(identity, { namespace: t.namespace });
    return file === undefined ? {} : { NATS_CREDS: file };
  };
  const common = {
    NATS_URL: testServers().natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    JWT_ISSUER: "warden-e2e",
    JWT_DEV_KEY_FILE: keyFile,
  };
  processes.push(
    await startServiceProcess(
      "kill-switch",
      { ...common, ...(await creds("service:kill-switch")) },
      join(dir, "kill-switch.log"),
    ),
  );
  for (const n of [1, 2]) {
    processes.push(
      await startServiceProcess(
        "policy",
        {
          ...common,
          ...(await creds("service:policy")),
          POLICY_BUNDLE_DIR: governance,
          POLICY_WATCH: "false",
          KILLSWITCH_LEASE: "2s",
        },
        join(dir, `policy-${n}.log`),
      ),
    );
  }
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of processes.reverse()) await p.stop();
  const nc = await connectNats({
    servers: testServers().natsUrl,
    name: "ks-e2e-cleanup",
    ...(await natsCredentials("test-admin")),
  });
  const jsm = await jetstreamManager(nc);
  for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`]) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
  await drainNats(nc);
  await rm(dir, { recursive: true, force: true });
});

function killSwitch(token: string) {
  const [ks] = processes;
  if (ks === undefined) throw new Error("kill switch not started");
  const c = createGrpcClient(killswitchV1.KillSwitchServiceDefinition, `127.0.0.1:${ks.grpcPort}`, { token });
  clients.push(c);
  return c.client;
}

async function outcomes(): Promise<string[]> {
  const token = await issuer.issue({ sub: "release-pipeline", type: "service" });
  const request = commonV1.ActionRequest.fromJSON({
    actionId: `act-${Date.now()}`,
    agentId: "release-pipeline",
    action: "change.deploy",
    changeType: "CHANGE_TYPE_CODE",
    environment: "ENVIRONMENT_STAGING",
    versionChange: "VERSION_CHANGE_PATCH",
    target: "payments-api",
  });
  return Promise.all(
    processes.slice(1).map(async (p) => {
      const c = createGrpcClient(policyV1.PolicyServiceDefinition, `127.0.0.1:${p.grpcPort}`, { token });
      clients.push(c);
      const { decision } = await c.client.evaluate({ request });
      const ruleIds = (decision?.matchedRules ?? []).map((r) => r.ruleId);
      const denied = decision?.outcome === policyV1.Outcome.OUTCOME_DENY;
      return denied && ruleIds.includes("killswitch.active") ? "stopped" : "not stopped";
    }),
  );
}

it("activate → every replica denies and acknowledges → two-person resume → allowed again", async () => {
  // Control: nothing stopped yet.
  expect(await outcomes()).toEqual(["not stopped", "not stopped"]);

  const oncall = killSwitch(await issuer.issue({ sub: "olga", roles: ["on-call-engineer"] }));
  await oncall.activate({
    scopes: [{ kind: killswitchV1.ScopeKind.SCOPE_KIND_ENVIRONMENT, value: "ENVIRONMENT_STAGING" }],
    reason: "e2e: staging deploys misbehave",
  });
  await expect.poll(outcomes, { timeout: 10_000 }).toEqual(["stopped", "stopped"]);

  await expect
    .poll(
      async () => {
        const s = await oncall.status({});
        const confirmed = s.consumers.filter((c) => c.confirmed && c.acknowledgement?.epoch === s.epoch);
        return confirmed.length;
      },
      { timeout: 10_000 },
    )
    .toBe(2);
  const current = await oncall.status({});
  expect(current.consumers.map((c) => c.acknowledgement?.consumer?.id)).toEqual(["policy", "policy"]);

  const review = {
    reviewRef: "INC-E2E",
    rootCause: "bad config",
    prevention: "canary",
    reEnableAgents: [],
    scopes: [],
  };
  const first = await killSwitch(await issuer.issue({ sub: "erin", roles: ["engineering-lead"] })).deactivate(
    {
      epoch: current.epoch,
      ...review,
    },
  );
  expect(first.deactivated).toBe(false);
  expect(await outcomes()).toEqual(["stopped", "stopped"]);
  const second = await killSwitch(await issuer.issue({ sub: "sam", roles: ["security-lead"] })).deactivate({
    epoch: current.epoch,
    ...review,
  });
  expect(second.deactivated).toBe(true);
  await expect.poll(outcomes, { timeout: 10_000 }).toEqual(["not stopped", "not stopped"]);
});
