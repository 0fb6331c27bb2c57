// The root README as a developer uses it: "What runs where" names every process `make up` starts
// with its ports, and the development-token one-liner mints a token the dev issuer's key verifies.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createDevIssuer } from "@warden/identity";
import { afterAll, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");
const tmp = mkdtempSync(join(tmpdir(), "warden-readme-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it("lists every service with the ports make up gives it", () => {
  const devEnv = readFileSync(join(root, "scripts", "dev-env.ts"), "utf8");
  const table = readme.slice(readme.indexOf("## What runs where"), readme.indexOf("## Layout"));
  for (const [service, grpcVar, opsVar] of [
    ["policy", "WARDEN_POLICY_GRPC_PORT", "WARDEN_POLICY_OPS_PORT"],
    ["audit", "WARDEN_AUDIT_GRPC_PORT", "WARDEN_AUDIT_OPS_PORT"],
    ["kill-switch", "WARDEN_KILLSWITCH_GRPC_PORT", "WARDEN_KILLSWITCH_OPS_PORT"],
    ["approval", "WARDEN_APPROVAL_GRPC_PORT", "WARDEN_APPROVAL_OPS_PORT"],
    ["rollback-monitor", "WARDEN_ROLLBACK_MONITOR_GRPC_PORT", "WARDEN_ROLLBACK_MONITOR_OPS_PORT"],
  ] as const) {
    const defaultOf = (envVar: string) => new RegExp(`port\\("${envVar}", (\\d+)\\)`).exec(devEnv)?.[1];
    const row = table.split("\n").find((line) => line.startsWith(`| ${service} service`));
    expect(row, `${service} row`).toBeDefined();
    expect(row).toContain(`gRPC \`127.0.0.1:${defaultOf(grpcVar) ?? "?"}\``);
    expect(row).toContain(`http://127.0.0.1:${defaultOf(opsVar) ?? "?"}`);
  }
});

it("documents a dev-token one-liner that mints a token the dev issuer verifies", async () => {
  const line = /^TOKEN=\$\((node .*)\)$/m.exec(readme)?.[1];
  expect(line).toBeDefined();
  const keyFile = join(tmp, "dev-issuer.pem");
  const issuer = await createDevIssuer({ issuer: "warden-dev", audience: "warden", keyFile });
  // The README's command with the key file of this test instead of .warden/dev-issuer.pem.
  const script = /-e '(.*)'$/.exec(line ?? "")?.[1]?.replace(".warden/dev-issuer.pem", keyFile);
  expect(script).toBeDefined();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", script ?? ""],
    {
      cwd: root,
    },
  );
  const principal = await issuer.verifier().verify(stdout.trim());
  expect(principal).toMatchObject({ id: "alice", type: "human", roles: ["auditor"] });
});
