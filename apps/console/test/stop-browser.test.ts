// Headless Chromium (playwright-core driving Debian's /usr/bin/chromium) against a real stack: NATS
// (the harness's), the kill-switch service and two policy replicas in their own processes (the
// consumers that acknowledge), and the console on a free port. Activate a stop from the page, watch
// both replicas' acknowledgements arrive in the polled table, resume with two different people
// (the first one's second try refused with the service's reason). Screenshots of each step go to
// apps/console/test/screenshots/.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { commonV1, killswitchV1, policyV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { connectNats, drainNats, topology } from "@warden/messaging";
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
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig, startConsole } from "../src/index.ts";
import type { RunningConsole } from "../src/index.ts";

const CHROMIUM = "/usr/bin/chromium";
const governance = fileURLToPath(new URL("../../../governance", import.meta.url));
const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
const t = topology(uniqueName("consolestop").toLowerCase());
let dir: string;
let issuer: DevIssuer;
let browser: Browser | undefined;
let consoleApp: RunningConsole | undefined;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium`);
  dir = await mkdtemp(join(tmpdir(), "warden-console-stop-"));
  await mkdir(shots, { recursive: true });
  const keyFile = join(dir, "dev-issuer.pem");
  issuer = await createDevIssuer({ issuer: "warden-console-e2e", audience: "warden", keyFile });
  const creds = async (identity: string): Promise<Record<string, string>> => {
    const file = await natsCredsFile(identity, { namespace: t.namespace });
    return file === undefined ? {} : { NATS_CREDS: file };
  };
  const common = {
    NATS_URL: testServers().natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    JWT_ISSUER: "warden-console-e2e",
    JWT_DEV_KEY_FILE: keyFile,
  };
  const ks = await startServiceProcess(
    "kill-switch",
    { ...common, ...(await creds("service:kill-switch")) },
    join(dir, "kill-switch.log"),
  );
  processes.push(ks);
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
  const policy = processes[1];
  consoleApp = await startConsole(
    loadConfig({
      JWT_ISSUER: "warden-console-e2e",
      JWT_DEV_KEY_FILE: keyFile,
      CONSOLE_PORT: String(await freePort()),
      WARDEN_KILLSWITCH_ADDR: `127.0.0.1:${ks.grpcPort}`,
      ...(policy && {
        WARDEN_POLICY_ADDR: `127.0.0.1:${policy.grpcPort}`,
        WARDEN_POLICY_METRICS_URL: `http://127.0.0.1:${policy.opsPort}/metrics`,
      }),
      // Not started here (they need Temporal and Mongo): the health page shows them as not answering.
      WARDEN_APPROVAL_ADDR: `127.0.0.1:${await freePort()}`,
      WARDEN_AUDIT_ADDR: `127.0.0.1:${await freePort()}`,
      CONSOLE_RPC_TIMEOUT: "5s",
      LOG_LEVEL: "warn",
    }),
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await consoleApp?.stop();
  for (const p of processes.reverse()) await p.stop();
  const nc = await connectNats({
    servers: testServers().natsUrl,
    name: "console-stop-cleanup",
    ...(await natsCredentials("test-admin")),
  });
  const jsm = await jetstreamManager(nc);
  for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`]) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
  await drainNats(nc);
  await rm(dir, { recursive: true, force: true });
}, 150_000);

async function signInAs(page: Page, user: string, roles: string): Promise<void> {
  const url = consoleApp?.url ?? "";
  await page.goto(`${url}/sign-in?next=/stop`);
  await page.getByLabel("User id").fill(user);
  await page.getByLabel("Roles (comma-separated)").fill(roles);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${url}/stop`);
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/sign-in/);
}

async function fillResume(page: Page): Promise<void> {
  await page.getByLabel("Post-incident review reference").fill("INC-2026-042");
  await page.getByLabel("Root cause").fill("a retry loop in the refund agent");
  await page.getByLabel("Prevention measures").fill("a rate limit on refunds");
  await page.getByRole("button", { name: "Approve resuming" }).click();
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, name), fullPage: true });

it("activate a stop from the page, see both replicas acknowledge, resume with two different people", async () => {
  if (browser === undefined) throw new Error("no browser");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  const failed: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });

  // Ivy (auditor) may look but not stop: the service's refusal is shown, nothing is stopped.
  await signInAs(page, "ivy", "auditor");
  await page.getByLabel("Reason (required)").fill("an auditor tries");
  await page.getByRole("button", { name: "Emergency stop" }).click();
  await page.waitForURL(/\/stop\/activate$/);
  expect(await page.getByRole("alert").innerText()).toMatch(/^Refused by the kill-switch service: .+/);
  await shot(page, "stop-refused-auditor.png");
  expect((await killSwitch(await issuer.issue({ sub: "ivy" })).status({})).state?.active).toBe(false);
  await signOut(page);

  // Olga (on-call) activates a staging stop.
  await signInAs(page, "olga", "on-call-engineer");
  await expect
    .poll(() => page.locator("main").innerText(), { timeout: 30_000 })
    .toContain("No emergency stop is active");
  await shot(page, "stop-clear.png");
  await page.getByLabel("environment", { exact: true }).check();
  await page.getByLabel("Environment (for an environment stop)").selectOption("staging");
  await page.getByLabel("Reason (required)").fill("refund agent loops on staging <b>bold?</b>");
  await page.getByRole("button", { name: "Emergency stop" }).click();
  await page.waitForURL(/\/stop\?done=activated/);
  const main = page.locator("main");
  expect(await main.innerText()).toContain("Emergency stop ACTIVE");
  expect(await main.innerText()).toContain("environment staging");
  expect(await main.innerText()).toContain("olga (human)");
  // The reason is shown as text, not markup.
  expect(await main.innerText()).toContain("refund agent loops on staging <b>bold?</b>");

  // The page polls /stop/acks (console.js, every 2 s): both policy replicas confirm the new epoch
  // without a reload.
  await page.waitForRequest((r) => new URL(r.url()).pathname === "/stop/acks", { timeout: 30_000 });
  const status = await killSwitch(await issuer.issue({ sub: "ivy", roles: ["auditor"] })).status({});
  expect(status.state?.active).toBe(true);
  expect(status.state?.activatedBy?.id).toBe("olga");
  await expect
    .poll(() => page.locator("#ack-summary").innerText(), { timeout: 60_000, interval: 500 })
    .toBe(`2 of 2 consumers confirmed epoch ${status.epoch}`);
  await shot(page, "stop-active-acknowledged.png");
  // A decision while stopped (the replica the health page reads), for the health page's counts.
  expect(await evaluate()).toBe(policyV1.Outcome.OUTCOME_DENY);
  await signOut(page);

  // Erin (engineering lead) asks to resume; asking again is refused with the service's reason.
  await signInAs(page, "erin", "engineering-lead");
  expect(await main.innerText()).toContain("Nobody has asked to resume yet.");
  await fillResume(page);
  await page.waitForURL(/done=resume-recorded/);
  expect(await main.innerText()).toContain("Your approval to resume was recorded.");
  expect(await main.innerText()).toMatch(/erin \(engineering-lead\) asked to resume at/);
  expect(await main.innerText()).toContain("You already asked to resume");
  await fillResume(page);
  const refusal = page.getByRole("alert");
  // The refusal is the POST's own answer (no redirect): the page at /stop/resume shows it.
  await page.waitForURL(/\/stop\/resume$/);
  expect(await refusal.innerText()).toMatch(/^Refused by the kill-switch service: .*erin/);
  await shot(page, "resume-same-person-refused.png");
  expect((await killSwitch(await issuer.issue({ sub: "ivy" })).status({})).state?.active).toBe(true);
  await signOut(page);

  // Sam (security lead) is the second, distinct person: the stop is lifted.
  await signInAs(page, "sam", "security-lead");
  expect((await main.innerText()).replace(/\s+/g, " ")).toContain(
    "A second, distinct person is needed, holding security-lead",
  );
  await shot(page, "resume-second-person.png");
  await fillResume(page);
  await page.waitForURL(/done=resumed/);
  expect(await main.innerText()).toContain("The stop was lifted by two people.");
  expect(await main.innerText()).toContain("No emergency stop is active");
  await shot(page, "stop-resumed.png");
  const after = await killSwitch(await issuer.issue({ sub: "ivy" })).status({});
  expect(after.state?.active).toBe(false);
  const staging = after.scopes.find((s) => s.scope?.value === "ENVIRONMENT_STAGING");
  expect(staging?.deactivationApprovals.map((a) => a.approver?.id).sort()).toEqual(["erin", "sam"]);
  await expect.poll(evaluate, { timeout: 30_000 }).not.toBe(policyV1.Outcome.OUTCOME_DENY);

  // The health page: the stop state and the policy's decisions from the real services; approval and
  // audit are not running here, so their panels say so.
  await page.goto(`${consoleApp?.url ?? ""}/health`);
  const health = (await main.innerText()).replace(/\s+/g, " ");
  expect(health).toContain("Governance health");
  expect(health).toMatch(/Emergency stop clear/);
  expect(health).toContain("The approval service is not answering");
  expect(health).not.toContain("WARDEN_POLICY_METRICS_URL");
  expect(health).toMatch(/deny \d+ /);
  await shot(page, "health.png");
  expect(errors).toEqual([]);
  // The only error answers were the two refusals.
  expect(failed).toEqual(["403 POST /stop/activate", "403 POST /stop/resume"]);
  await context.close();
}, 150_000);

const clients: { close(): void }[] = [];
afterAll(() => {
  for (const c of clients) c.close();
});

function killSwitch(token: string) {
  const [ks] = processes;
  if (ks === undefined) throw new Error("kill switch not started");
  const c = createGrpcClient(killswitchV1.KillSwitchServiceDefinition, `127.0.0.1:${ks.grpcPort}`, { token });
  clients.push(c);
  return c.client;
}

/** One decision by the first policy replica, asked by the agent itself (so it counts). */
async function evaluate(): Promise<policyV1.Outcome | undefined> {
  const policy = processes[1];
  if (policy === undefined) throw new Error("policy not started");
  const token = await issuer.issue({ sub: "release-pipeline", type: "service" });
  const c = createGrpcClient(policyV1.PolicyServiceDefinition, `127.0.0.1:${policy.grpcPort}`, { token });
  clients.push(c);
  const { decision } = await c.client.evaluate({
    request: commonV1.ActionRequest.fromJSON({
      actionId: `act-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      agentId: "release-pipeline",
      action: "change.deploy",
      changeType: "CHANGE_TYPE_CODE",
      environment: "ENVIRONMENT_STAGING",
      versionChange: "VERSION_CHANGE_PATCH",
      target: "payments-api",
    }),
  });
  return decision?.outcome;
}
