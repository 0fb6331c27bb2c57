// deploy/prometheus: the alert rules parse and lint (`promtool check rules`), and their unit tests
// pass (`promtool test rules`): each alert fires on the series it is meant for, and not on a control.
import { fileURLToPath } from "node:url";
import { runPromtool } from "@warden/testing";
import { expect, it } from "vitest";

const dir = fileURLToPath(new URL("../../deploy/prometheus/", import.meta.url));

it("promtool check rules accepts deploy/prometheus/warden-rules.yaml", async () => {
  const result = await runPromtool(["check", "rules", `${dir}warden-rules.yaml`]);
  expect(result.stdout + result.stderr).toContain("SUCCESS");
  expect(result.code).toBe(0);
});

it("promtool test rules passes deploy/prometheus/warden-rules.test.yaml", async () => {
  const result = await runPromtool(["test", "rules", `${dir}warden-rules.test.yaml`]);
  expect(result.stdout + result.stderr).not.toContain("FAILED");
  expect(result.code).toBe(0);
});
