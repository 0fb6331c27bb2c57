// `warden compliance report | verify` (the real binary) against a real audit service on the run's
// NATS and Mongo-wire servers: a trail with a planted violation (one approver where two were
// required) published as real events, the report read over AuditService Export / Verify, signed,
// recorded through RecordReport, and verified from the file.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createDevIssuer } from "@warden/identity";
import {
  connectNats,
  createPublisher,
  drainNats,
  events,
  topology,
  type EventPublisher,
} from "@warden/messaging";
import {
  natsCredentials,
  natsCredsFile,
  startServiceProcess,
  testServers,
  uniqueName,
} from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { warden } from "./support/run-warden.ts";

const ISSUER = "warden-compliance-it";
const t = topology(uniqueName("compl").toLowerCase());
const db = uniqueName("compliance_audit");
let dir = "";
let keyFile = "";
let env: Record<string, string> = {};
let audit: ServiceProcess | undefined;
let nc: Awaited<ReturnType<typeof connectNats>>;
let publisher: EventPublisher;
const reportKey = generateKeyPairSync("ed25519");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-compliance-it-"));
  keyFile = join(dir, "dev-issuer.pem");
  await createDevIssuer({ issuer: ISSUER, audience: "warden", keyFile });
  writeFileSync(
    join(dir, "report.pem"),
    reportKey.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  );
  writeFileSync(
    join(dir, "report.pub.pem"),
    reportKey.publicKey.export({ format: "pem", type: "spki" }).toString(),
  );
  const creds = await natsCredsFile("service:audit", { namespace: t.namespace });
  audit = await startServiceProcess(
    "audit",
    {
      NATS_URL: testServers().natsUrl,
      WARDEN_NAMESPACE: t.namespace,
      JWT_ISSUER: ISSUER,
      JWT_DEV_KEY_FILE: keyFile,
      LOG_LEVEL: "warn",
      ...(creds === undefined ? {} : { NATS_CREDS: creds }),
      MONGO_URL: testServers().mongoUrl,
      MONGO_DB: db,
      AUDIT_SIGNING_KEY: generateKeyPairSync("ed25519")
        .privateKey.export({ format: "pem", type: "pkcs8" })
        .toString(),
      CHECKPOINT_EVERY: "2",
      CHECKPOINT_INTERVAL: "1s",
    },
    join(dir, "audit.log"),
  );
  env = { WARDEN_AUDIT_ADDR: `127.0.0.1:${audit.grpcPort}` };
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "compliance-it",
    ...(await natsCredentials("test-admin")),
  });
  publisher = createPublisher(nc, { source: "compliance-it" });
}, 180_000);

afterAll(async () => {
  await audit?.stop();
  await drainNats(nc);
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

async function token(user: string, roles: string): Promise<string> {
  const run = await warden([
    "dev",
    "token",
    "--user",
    user,
    "--roles",
    roles,
    "--key-file",
    keyFile,
    "--issuer",
    ISSUER,
  ]);
  return run.stdout.trim();
}

async function change(actionId: string, approvers: string[]): Promise<void> {
  const request = {
    actionId,
    agentId: "release-bot",
    action: "change.deploy",
    environment: "ENVIRONMENT_PRODUCTION" as const,
  };
  await publisher.publish(t.subjects.decision("approval_required", "release-bot"), events.decisionMade, {
    actionId,
    data: {
      actionId,
      agentId: "release-bot",
      outcome: "OUTCOME_APPROVAL_REQUIRED",
      approval: { workflow: "prod", minApprovers: 2 },
      bundleDigest: "sha256:bundle",
      evaluatedAt: new Date().toISOString(),
      request,
    },
  });
  await publisher.publish(t.subjects.approval("resolved", actionId), events.approvalResolved, {
    actionId,
    data: {
      actionId,
      status: "APPROVAL_STATUS_APPROVED",
      votes: approvers.map((id) => ({
        voter: { type: "ACTOR_TYPE_HUMAN" as const, id, roles: ["team-lead"] },
        decision: "VOTE_DECISION_APPROVE" as const,
        counted: true,
      })),
    },
  });
}

test(
  "a report over a real trail: the planted one-approver change fails CC8.1, manual stays manual; signed, recorded, verified",
  { timeout: 180_000 },
  async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    await change("ok-change", ["dave", "erin"]);
    await change("planted", ["dave"]);
    const auditor = await token("audrey", "auditor");
    // The trail has both resolutions (sentinel: the second one) before the report reads it.
    await vi.waitFor(
      async () => {
        const q = await warden(
          ["audit", "query", "--action-id", "planted", "--json", "--token", auditor],
          env,
        );
        expect(q.stdout).toContain("warden.approval.resolved");
      },
      { timeout: 30_000, interval: 250 },
    );
    const out = join(dir, "soc2.json");
    const run = await warden(
      [
        "compliance",
        "report",
        "--framework",
        "soc2",
        "--from",
        from,
        "--signing-key",
        join(dir, "report.pem"),
        "-o",
        out,
        "--token",
        auditor,
      ],
      env,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(await readFile(out, "utf8")) as {
      controls: { id: string; status: string; checks: { findings: { actionId?: string }[] }[] }[];
    };
    const cc81 = report.controls.find((c) => c.id === "soc2.cc8.1-approvals");
    expect(cc81?.status).toBe("fail");
    expect(cc81?.checks[0]?.findings.map((f) => f.actionId)).toEqual(["planted"]);
    expect(report.controls.find((c) => c.id === "soc2.cc4.1-log-integrity")?.status).toBe("pass");
    expect(report.controls.find((c) => c.id === "soc2.cc1.4-training")?.status).toBe("manual");

    const pub = join(dir, "report.pub.pem");
    await vi.waitFor(
      async () => {
        const v = await warden(
          ["compliance", "verify", out, "--public-key", pub, "--json", "--token", auditor],
          env,
        );
        expect(v.code).toBe(0);
      },
      { timeout: 30_000, interval: 500 },
    );
    // Control: a report with one byte changed does not verify.
    const text = await readFile(out, "utf8");
    writeFileSync(join(dir, "tampered.json"), text.replace('"status": "fail"', '"status": "pass"'));
    const bad = await warden(
      ["compliance", "verify", join(dir, "tampered.json"), "--public-key", pub, "--token", auditor],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/signature does not verify/);
    // An engineer may not record a report (refused, exit 1).
    const eng = await token("eve", "engineer");
    const refused = await warden(
      [
        "compliance",
        "report",
        "--framework",
        "pci",
        "--from",
        from,
        "--signing-key",
        join(dir, "report.pem"),
        "--token",
        eng,
      ],
      env,
    );
    expect(refused.code).toBe(1);
  },
);
