// Services without Temporal import @warden/telemetry; that must not load the Temporal SDK. Each case
// imports one entry point in a fresh node process (from this package's directory, so the package
// resolves itself by name through its `exports`) and lists the @temporalio modules it resolved.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

async function temporalModulesLoadedBy(entry: string): Promise<string[]> {
  const script = `
    import { registerHooks } from "node:module";
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
    await import(${JSON.stringify(entry)});
    console.log(JSON.stringify(seen.filter((s) => s.startsWith("@temporalio/"))));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    cwd: packageDir,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "[]") as string[];
}

describe("entry points", () => {
  it("@warden/telemetry loads nothing from Temporal", async () => {
    expect(await temporalModulesLoadedBy("@warden/telemetry")).toEqual([]);
  });

  it("@warden/telemetry/temporal loads the interceptors, but neither the worker nor the client SDK", async () => {
    const loaded = await temporalModulesLoadedBy("@warden/telemetry/temporal");
    expect(loaded).toContain("@temporalio/interceptors-opentelemetry/lib/client/index.js");
    expect(loaded.filter((m) => /^@temporalio\/(worker|client|workflow)(\/|$)/.test(m))).toEqual([]);
  });
});
