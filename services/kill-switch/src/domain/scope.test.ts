import { describe, expect, it } from "vitest";
import { parseScope, scopeFromKey, scopeKey } from "./scope.ts";

describe("scopes", () => {
  it("parses the four kinds and names the bad field", () => {
    expect(parseScope("global")).toEqual({ kind: "global" });
    expect(parseScope("environment:Production")).toEqual({ kind: "environment", value: "production" });
    expect(parseScope(" agent:release-bot ")).toEqual({ kind: "agent", value: "release-bot" });
    expect(parseScope("service:payments")).toEqual({ kind: "service", value: "payments" });
    expect(() => parseScope("agent")).toThrow("scope.value: required for agent");
    expect(() => parseScope("team:x", "scopes[1]")).toThrow(
      "scopes[1].kind: must be one of global, environment, agent, service",
    );
    expect(() => parseScope("global:x")).toThrow("scope.value: must be empty for global");
    expect(() => parseScope("agent:has space")).toThrow("scope.value:");
  });

  it("maps each scope to its own KV key and back, dots and other characters escaped", () => {
    const scopes = [
      { kind: "global" },
      { kind: "environment", value: "production" },
      { kind: "agent", value: "release.bot/7@x" },
      { kind: "agent", value: "release_bot=7" },
      { kind: "service", value: "payments-api" },
    ] as const;
    const keys = scopes.map(scopeKey);
    expect(keys).toEqual([
      "scope.global",
      "scope.environment.production",
      "scope.agent.release=2ebot=2f7=40x",
      "scope.agent.release_bot=3d7",
      "scope.service.payments-api",
    ]);
    for (const key of keys) expect(key).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
    expect(keys.map(scopeFromKey)).toEqual(scopes);
    expect(scopeFromKey("epoch")).toBeUndefined();
    expect(scopeFromKey("scope.team.x")).toBeUndefined();
  });
});

describe("slash command text", () => {
  it("reads scopes then the reason; refuses a missing reason", async () => {
    const { parseSlashCommand } = await import("./slash-command.ts");
    expect(parseSlashCommand("  environment:production,agent:bot  refunds loop ")).toEqual({
      kind: "activate",
      scopes: [
        { kind: "environment", value: "production" },
        { kind: "agent", value: "bot" },
      ],
      reason: "refunds loop",
    });
    expect(parseSlashCommand("status")).toEqual({ kind: "status" });
    expect(() => parseSlashCommand("global")).toThrow("text: a reason is required after the scopes");
    expect(() => parseSlashCommand("everything now")).toThrow("text scope 1.kind: must be one of");
  });
});
