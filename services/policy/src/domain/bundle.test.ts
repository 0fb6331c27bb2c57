import { describe, expect, it } from "vitest";
import { fixtureFiles } from "../testing/bundle-fixtures.ts";
import { limitedAgentIds } from "./bundle.ts";
import { compileBundle } from "./compile-bundle.ts";

const agent = (id: string, limits?: string): string[] => [
  `  - id: ${id}`,
  "    kind: ai_agent",
  "    riskLevel: low",
  "    capabilities: { dataAccess: read_write, externalMessages: true, codeExecution: false }",
  ...(limits === undefined ? [] : [`    limits: ${limits}`]),
];

function limitedOf(...agents: string[][]): readonly string[] {
  const bundle = compileBundle(fixtureFiles({ "agents.yaml": ["agents:", ...agents.flat(), ""].join("\n") }));
  return limitedAgentIds(bundle);
}

describe("limitedAgentIds", () => {
  it("lists the agents with a rate limit or a daily budget, sorted", () => {
    expect(
      limitedOf(
        agent("zeta", "{ maxRequestsPerMinute: 10 }"),
        agent("plain"),
        agent("alpha", "{ dailyBudget: 100, currency: USD }"),
        agent("both", "{ maxRequestsPerMinute: 1, dailyBudget: 5 }"),
      ),
    ).toEqual(["alpha", "both", "zeta"]);
  });

  it("ignores limits the service does not count (amount ceilings, currency, thresholds)", () => {
    expect(
      limitedOf(
        agent("ceiling", "{ maxTransactionAmount: 1000, currency: USD }"),
        agent("threshold", "{ refundApprovalThreshold: 100 }"),
      ),
    ).toEqual([]);
  });

  it("counts a zero budget too (a budget, however small, needs the count)", () => {
    expect(limitedOf(agent("frozen", "{ dailyBudget: 0 }"))).toEqual(["frozen"]);
  });
});
