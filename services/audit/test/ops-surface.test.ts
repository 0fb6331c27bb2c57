// The audit service's /metrics, as Prometheus reads it: `promtool check metrics` passes on the real
// output, and gRPC calls are counted and timed by method and status code.
import { jetstream } from "@nats-io/jetstream";
import { auditV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { createTestTelemetry, type TestTelemetry } from "@warden/telemetry";
import { runPromtool } from "@warden/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningAuditService } from "../src/start-audit-service.ts";
import { auditEnv, headAtLeast, humanEvent, observe, type AuditEnv, type Observer } from "./support.ts";

let telemetry: TestTelemetry;
let env: AuditEnv;
let obs: Observer;
let service: RunningAuditService;

beforeAll(async () => {
  telemetry = createTestTelemetry("audit-ops-test");
  env = await auditEnv();
  obs = await observe(env);
  const { startAuditService } = await import("../src/start-audit-service.ts");
  service = await startAuditService(env.config);
});

afterAll(async () => {
  await service?.stop();
  await obs?.close();
  await telemetry.shutdown();
});

it("serves /metrics that promtool check metrics accepts, with gRPC calls by method and code", async () => {
  const event = humanEvent("ops-1", "alice");
  await jetstream(obs.nc).publish(`${env.namespace}.warden.action.requested.test`, JSON.stringify(event), {
    msgID: "ops-1",
  });
  await headAtLeast(obs.store, 1);
  const token = await env.issuer.issue({ sub: "sam", type: "human", roles: ["auditor"] });
  const c = createGrpcClient(auditV1.AuditServiceDefinition, `127.0.0.1:${service.grpcPort}`, { token });
  const anonymous = createGrpcClient(auditV1.AuditServiceDefinition, `127.0.0.1:${service.grpcPort}`);
  try {
    await c.client.query({});
    await expect(anonymous.client.query({})).rejects.toMatchObject({ code: 16 }); // UNAUTHENTICATED
  } finally {
    c.close();
    anonymous.close();
  }

  // The record is in the store a moment before the writer counts it as committed: read the page
  // until the counter shows it (and the RPCs above, which were answered before).
  const metricsPage = async () => (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
  await expect
    .poll(metricsPage, { timeout: 30_000, interval: 100 })
    .toMatch(/^warden_audit_records_committed_total\{[^}]*\} [1-9]\d*$/m);
  const text = await metricsPage();
  const line = (code: string) =>
    text
      .split("\n")
      .find(
        (l) =>
          l.startsWith("warden_rpc_requests_total{") &&
          l.includes('method="/warden.audit.v1.AuditService/Query"') &&
          l.includes(`code="${code}"`),
      );
  expect(line("OK")).toMatch(/ 1$/);
  expect(line("UNAUTHENTICATED")).toMatch(/ 1$/);
  expect(text).toMatch(/^warden_audit_records_committed_total\{[^}]*\} [1-9]\d*$/m);

  const lint = await runPromtool(["check", "metrics"], text);
  expect(lint.stdout + lint.stderr).toBe("");
  expect(lint.code).toBe(0);
});
