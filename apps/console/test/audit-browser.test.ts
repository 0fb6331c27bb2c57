// Headless Chromium (playwright-core driving Debian's /usr/bin/chromium) against a real stack: NATS
// (the harness's), the kill-switch and policy services, the audit service on the harness's FerretDB,
// each in its own process, and the console on a free port. A real decision is made; an auditor finds
// its action in the audit search, opens the action's story, downloads its export, and verifies the
// chain. Screenshots go to apps/console/test/screenshots/audit-*.png.
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { auditV1, commonV1, policyV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { connectNats, drainNats, provisionTopology, topology, topologyStreams } from "@warden/messaging";
import {
  freePort,
  natsCredentials,
  natsCredsFile,
  startServiceProcess,
  testServers,
  uniqueName,
} from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig, startConsole } from "../src/index.ts";
import type { RunningConsole } from "../src/index.ts";

const CHROMIUM = "/usr/bin/chromium";
const governance = fileURLToPath(new URL("../../../governance", import.meta.url));
const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
const t = topology(uniqueName("consoleaudit").toLowerCase());
let dir: string;
let issuer: DevIssuer;
let nc: Awaited<ReturnType<typeof connectNats>> | undefined;
let browser: Browser | undefined;
let consoleApp: RunningConsole | undefined;
const processes: Record<string, ServiceProcess> = {};
const clients: { close(): void }[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium`);
  dir = await mkdtemp(join(tmpdir(), "warden-console-audit-"));
  await mkdir(shots, { recursive: true });
  const keyFile = join(dir, "dev-issuer.pem");
  issuer = await createDevIssuer({ issuer: "warden-console-audit", audience: "warden", keyFile });
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "console-audit-setup",
    ...(await natsCredentials("test-admin")),
  });
  await provisionTopology(nc, t);
  const common = {
    NATS_URL: testServers().natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    JWT_ISSUER: "warden-console-audit",
    JWT_DEV_KEY_FILE: keyFile,
  };
  const start = async (name: string, env: Record<string, string>) => {
    const file = await natsCredsFile(`service:${name}`, { namespace: t.namespace });
    processes[name] = await startServiceProcess(
      name,
      { ...common, ...(file !== undefined && { NATS_CREDS: file }), ...env },
      join(dir, `${name}.log`),
    );
  };
  const signingKey = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });
  await start("kill-switch", {});
  await start("policy", { POLICY_BUNDLE_DIR: governance, POLICY_WATCH: "false" });
  await start("audit", {
    MONGO_URL: testServers().mongoUrl,
    MONGO_DB: uniqueName("console_audit").replaceAll("-", "_"),
    AUDIT_SIGNING_KEY: signingKey.toString(),
  });
  consoleApp = await startConsole(
    loadConfig({
      JWT_ISSUER: "warden-console-audit",
      JWT_DEV_KEY_FILE: keyFile,
      CONSOLE_PORT: String(await freePort()),
      WARDEN_AUDIT_ADDR: `127.0.0.1:${processes.audit?.grpcPort ?? 0}`,
      WARDEN_POLICY_ADDR: `127.0.0.1:${processes.policy?.grpcPort ?? 0}`,
      WARDEN_KILLSWITCH_ADDR: `127.0.0.1:${processes["kill-switch"]?.grpcPort ?? 0}`,
      WARDEN_APPROVAL_ADDR: `127.0.0.1:${await freePort()}`,
      CONSOLE_RPC_TIMEOUT: "10s",
      LOG_LEVEL: "warn",
    }),
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await consoleApp?.stop();
  for (const c of clients) c.close();
  for (const p of Object.values(processes).reverse()) await p.stop();
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const name of topologyStreams(t)) await jsm.streams.delete(name).catch(() => undefined);
    await drainNats(nc);
  }
  await rm(dir, { recursive: true, force: true });
}, 150_000);

function grpc<T extends Parameters<typeof createGrpcClient>[0]>(
  definition: T,
  service: string,
  token: string,
) {
  const p = processes[service];
  if (p === undefined) throw new Error(`${service} not started`);
  const c = createGrpcClient(definition, `127.0.0.1:${p.grpcPort}`, { token });
  clients.push(c);
  return c.client;
}

it("find a real decision's action in the audit search, open its story, export it, verify the chain", async () => {
  if (browser === undefined) throw new Error("no browser");
  // A real decision, asked by the agent itself: the policy service publishes it, the audit records it.
  const actionId = `act-${uniqueName("audit")}`;
  const policy = grpc(
    policyV1.PolicyServiceDefinition,
    "policy",
    await issuer.issue({ sub: "release-pipeline", type: "service" }),
  );
  await policy.evaluate({
    request: commonV1.ActionRequest.fromJSON({
      actionId,
      agentId: "release-pipeline",
      action: "change.deploy",
      changeType: "CHANGE_TYPE_CODE",
      environment: "ENVIRONMENT_STAGING",
      versionChange: "VERSION_CHANGE_PATCH",
      target: "payments-api",
    }),
  });
  const audit = grpc(
    auditV1.AuditServiceDefinition,
    "audit",
    await issuer.issue({ sub: "ivy", roles: ["auditor"], type: "human" }),
  );
  await expect
    .poll(async () => (await audit.query({ filter: { actionId }, pageSize: 10 })).records.length, {
      timeout: 60_000,
      interval: 250,
    })
    .toBeGreaterThan(0);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  const failed: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  const url = consoleApp?.url ?? "";
  const signInAs = async (user: string, roles: string) => {
    await page.goto(`${url}/sign-in?next=/audit`);
    await page.getByLabel("User id").fill(user);
    await page.getByLabel("Roles (comma-separated)").fill(roles);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${url}/audit`);
  };
  const main = page.locator("main");

  // Erin (engineer) sees her own records only: asking for another actor's is the service's refusal.
  await signInAs("erin", "engineer");
  await page.getByLabel("Actor").fill("carol");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/\/audit\?/);
  expect(await page.getByRole("alert").innerText()).toMatch(/^Refused by the audit service: .+/);
  expect(await page.getByTestId("audit-results").count()).toBe(0);
  await page.screenshot({ path: join(shots, "audit-refused-engineer.png"), fullPage: true });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/sign-in/);

  await signInAs("ivy", "auditor");

  // The search: by agent, then the action's link.
  await page.getByLabel("Agent").fill("release-pipeline");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/\/audit\?/);
  const link = page.getByRole("link", { name: actionId });
  await expect.poll(() => link.count()).toBeGreaterThan(0);
  expect(await main.innerText()).toContain("warden.decision.");
  await page.screenshot({ path: join(shots, "audit-search.png"), fullPage: true });

  // The story of the action.
  await link.first().click();
  await page.waitForURL(new RegExp(`/audit/actions/${actionId}$`));
  const story = (await main.innerText()).replace(/\s+/g, " ");
  expect(story).toContain(`Action ${actionId}`);
  expect(story).toContain("Policy decision");
  expect(story).toContain("change.deploy on payments-api");
  await page.screenshot({ path: join(shots, "audit-story.png"), fullPage: true });

  // Its export: JSON Lines streamed from the service, every line the action's.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export this story (JSON Lines)" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(
    new RegExp(`^warden-audit-${actionId}-\\d{8}T\\d{6}Z\\.jsonl$`),
  );
  const lines = (await readFile((await download.path()) ?? "", "utf8")).trimEnd().split("\n");
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect((JSON.parse(l) as { actionId: string }).actionId).toBe(actionId);

  // Verify the whole chain.
  await page.goto(`${url}/audit/verify`);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL(/\/audit\/verify$/);
  expect(await page.getByRole("status").innerText()).toMatch(/^Verified \d+ records through seq \d+\.$/);
  await page.screenshot({ path: join(shots, "audit-verify.png"), fullPage: true });

  expect(errors).toEqual([]);
  // The only error answer was the engineer's refused search.
  expect(failed).toEqual(["403 GET /audit"]);
  await context.close();
}, 150_000);
