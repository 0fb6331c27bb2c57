import { beforeAll, describe, expect, it } from "vitest";
import { fixtureFiles } from "../testing/bundle-fixtures.ts";
import { loadGovernanceBundle } from "../testing/governance-bundle.ts";
import type { ActionRequest } from "./action-request.ts";
import { compileBundle } from "./compile-bundle.ts";
import type { EvaluationContext, Evaluator } from "./evaluator.ts";
import { BUILTIN, createEvaluator } from "./evaluator.ts";
import type { StopState } from "./stop-state.ts";
import { STOP_CLEAR } from "./stop-state.ts";
import { USAGE_NONE } from "./usage.ts";

const TUESDAY_10_UTC = Date.parse("2026-03-10T10:00:00Z");

function ctx(agentId: string, extra: Partial<EvaluationContext> = {}): EvaluationContext {
  return {
    authenticatedAgentId: agentId,
    stopState: STOP_CLEAR,
    usage: USAGE_NONE,
    now: TUESDAY_10_UTC,
    ...extra,
  };
}

function evaluatorFor(rulesYaml: string, matrixYaml?: string): Evaluator {
  return createEvaluator(
    compileBundle(
      fixtureFiles({
        "rules.yaml": rulesYaml,
        ...(matrixYaml === undefined ? {} : { "decision-matrix.yaml": matrixYaml }),
      }),
    ),
  );
}

const req = (fields: Partial<ActionRequest> & { agentId: string; action: string }): ActionRequest => ({
  actionId: "act-1",
  ...fields,
});

describe("evaluator on the example bundle (source material)", () => {
  let ev: Evaluator;
  beforeAll(async () => {
    ev = createEvaluator(await loadGovernanceBundle());
  });

  it("denies a $5,000 transaction by financial-advisor, naming the $1,000 limit", () => {
    const d = ev.evaluate(
      req({ agentId: "financial-advisor", action: "transaction.execute", amount: 5000, currency: "USD" }),
      ctx("financial-advisor"),
    );
    expect(d.outcome).toBe("deny");
    expect(d.reasons).toEqual([
      "transaction of $5,000 exceeds financial-advisor's limit of $1,000 per transaction",
    ]);
    // A deny reports what denies; the grant and the approval rule are not even evaluated.
    expect(d.matched.map((m) => m.ruleId)).toEqual(["transaction.limit"]);
    expect(d.bundleDigest).toBe(ev.bundle.digest);
    expect(d.evaluatedAt).toBe("2026-03-10T10:00:00.000Z");
    expect(d.evalDurationNs).toBeGreaterThan(0);
    expect(d.riskLevel).toBe("high");
  });

  it("requires 2 approvers for a production patch", () => {
    const d = ev.evaluate(
      req({
        agentId: "release-pipeline",
        action: "change.deploy",
        changeType: "code",
        environment: "production",
        versionChange: "patch",
      }),
      ctx("release-pipeline"),
    );
    expect(d.outcome).toBe("approval_required");
    expect(d.approval).toEqual({
      workflow: "production_deployment",
      minApprovers: 2,
      requiredRoles: [],
      eligibleRoles: ["team-lead", "on-call-engineer"],
      timeoutSeconds: 1800,
      escalation: [{ role: "engineering-lead", afterSeconds: 1800 }],
      aiRole: "recommend",
      aiMayRecommend: true,
      aiMayApprove: false,
      notify: ["slack:#deploy-approvals", "email:team-leads@example.com"],
    });
  });

  it("allows a dev patch", () => {
    const d = ev.evaluate(
      req({
        agentId: "release-pipeline",
        action: "change.deploy",
        changeType: "code",
        environment: "development",
        versionChange: "patch",
      }),
      ctx("release-pipeline"),
    );
    expect(d.outcome).toBe("allow");
    expect(d.approval).toBeUndefined();
  });

  it("denies an e-mail address in a message to an external channel", () => {
    const d = ev.evaluate(
      req({
        agentId: "customer-support",
        action: "message.send",
        message: { channel: "email", external: true, body: "reach me at a.b@example.org" },
      }),
      ctx("customer-support"),
    );
    expect(d.outcome).toBe("deny");
    expect(d.matched.find((m) => m.effect === "deny")?.ruleId).toBe("pii.outbound-message");
  });

  it("denies a contract at 20:00 UTC", () => {
    const d = ev.evaluate(
      req({ agentId: "financial-advisor", action: "contract.sign" }),
      ctx("financial-advisor", { now: Date.parse("2026-03-10T20:00:00Z") }),
    );
    expect(d.outcome).toBe("deny");
    expect(d.reasons).toEqual(["contract.sign by financial-advisor only in business hours 09:00-17:00 UTC"]);
  });

  it("selects candidates through the index only", () => {
    expect(ev.candidates(req({ agentId: "knowledge-base-qa", action: "knowledge.search" }))).toEqual([
      "grant.knowledge-base-qa",
    ]);
    expect(
      ev.candidates(
        req({
          agentId: "release-pipeline",
          action: "change.deploy",
          changeType: "code",
          environment: "production",
          versionChange: "major",
        }),
      ),
    ).toEqual([
      "freeze.year-end",
      "shadow.production-deploys-outside-berlin-hours",
      "tools.no-shell-in-production",
      "matrix.code.production.major",
    ]);
  });
});

describe("semantics", () => {
  it("denies by default", () => {
    const d = evaluatorFor("rules: []\n").evaluate(req({ agentId: "bot", action: "anything" }), ctx("bot"));
    expect(d.outcome).toBe("deny");
    expect(d.matched).toEqual([
      {
        ruleId: BUILTIN.defaultDeny,
        effect: "deny",
        reason: "no rule allows this action for this agent (default deny)",
        shadow: false,
      },
    ]);
  });

  it("stamps decisions with the wall clock when the caller gives no time", () => {
    const ev = evaluatorFor("rules: []\n");
    const before = Date.now();
    const d = ev.evaluate(req({ agentId: "bot", action: "x" }), {
      authenticatedAgentId: "bot",
      stopState: STOP_CLEAR,
      usage: USAGE_NONE,
    });
    expect(Math.abs(Date.parse(d.evaluatedAt) - before)).toBeLessThan(2_000);
    const fixed = createEvaluator(ev.bundle, { clock: () => Date.parse("2026-01-01T00:00:00Z") });
    expect(
      fixed.evaluate(req({ agentId: "bot", action: "x" }), {
        authenticatedAgentId: "bot",
        stopState: STOP_CLEAR,
        usage: USAGE_NONE,
      }).evaluatedAt,
    ).toBe("2026-01-01T00:00:00.000Z");
  });

  it("lets deny beat approval_required beat allow", () => {
    const ev = evaluatorFor(
      [
        "rules:",
        "  - { id: a, effect: allow, reason: a }",
        "  - { id: b, effect: approval_required, reason: b, match: { actions: [x, y] }, approval: { workflow: review } }",
        "  - { id: c, effect: deny, reason: c, match: { actions: [y] } }",
        "",
      ].join("\n"),
    );
    expect(ev.evaluate(req({ agentId: "bot", action: "w" }), ctx("bot")).outcome).toBe("allow");
    expect(ev.evaluate(req({ agentId: "bot", action: "x" }), ctx("bot"))).toMatchObject({
      outcome: "approval_required",
      reasons: ["b"],
    });
    expect(ev.evaluate(req({ agentId: "bot", action: "y" }), ctx("bot"))).toMatchObject({
      outcome: "deny",
      reasons: ["c"],
    });
  });

  it("merges several approval requirements: strictest quorum, union of roles", () => {
    const ev = evaluatorFor(
      [
        "rules:",
        "  - { id: a, effect: approval_required, reason: a, approval: { workflow: review, minApprovers: 3 } }",
        "  - { id: b, effect: approval_required, reason: b, risk: high, approval: { workflow: strict } }",
        "",
      ].join("\n"),
    );
    const d = ev.evaluate(req({ agentId: "bot", action: "x" }), ctx("bot"));
    expect(d.outcome).toBe("approval_required");
    expect(d.approval).toMatchObject({
      workflow: "strict",
      minApprovers: 3,
      requiredRoles: ["security-lead"],
      aiMayRecommend: false,
      aiMayApprove: false,
    });
    expect(d.riskLevel).toBe("high");
  });

  it("reports shadow rules but never enforces them", () => {
    const ev = evaluatorFor(
      [
        "rules:",
        "  - { id: grant, effect: allow, reason: ok }",
        "  - { id: shadow-deny, effect: deny, mode: shadow, reason: would deny, risk: high }",
        "  - { id: shadow-approval, effect: approval_required, mode: shadow, reason: would ask, approval: { workflow: review } }",
        "  - { id: shadow-broken, effect: allow, mode: shadow, reason: x, when: 'request.tool == \"t\"' }",
        "",
      ].join("\n"),
    );
    const d = ev.evaluate(req({ agentId: "bot", action: "x" }), ctx("bot"));
    expect(d.outcome).toBe("allow");
    expect(d.reasons).toEqual(["ok"]);
    expect(d.approval).toBeUndefined();
    expect(d.riskLevel).toBe("low");
    expect(d.matched).toEqual([
      { ruleId: "grant", effect: "allow", reason: "ok", shadow: false },
      { ruleId: "shadow-deny", effect: "deny", reason: "would deny", shadow: true },
      { ruleId: "shadow-approval", effect: "approval_required", reason: "would ask", shadow: true },
      {
        ruleId: "shadow-broken",
        effect: "deny",
        reason: expect.stringMatching(/^condition error: .*tool/) as string,
        shadow: true,
      },
    ]);
  });

  it("fails closed: a condition that errors counts as a matched deny", () => {
    const ev = evaluatorFor(
      [
        "rules:",
        "  - { id: grant, effect: allow, reason: ok }",
        '  - { id: tool-check, effect: allow, reason: x, when: "request.tool == \\"kb\\"" }',
        "",
      ].join("\n"),
    );
    const d = ev.evaluate(req({ agentId: "bot", action: "x" }), ctx("bot"));
    expect(d.outcome).toBe("deny");
    expect(d.matched).toEqual([
      {
        ruleId: "tool-check",
        effect: "deny",
        reason: expect.stringMatching(/^condition error: No such key: tool/) as string,
        shadow: false,
      },
    ]);
    expect(ev.evaluate(req({ agentId: "bot", action: "x", tool: "kb" }), ctx("bot")).outcome).toBe("allow");
  });

  it("fills reason placeholders", () => {
    const ev = evaluatorFor(
      [
        "rules:",
        "  - id: limit",
        "    effect: deny",
        "    when: request.amount > agent.limits.maxTransactionAmount",
        "    reason: '{request.amount} {request.currency} over {agent.id} limit {agent.limits.maxTransactionAmount} ({request.ticket})'",
        "",
      ].join("\n"),
    );
    const d = ev.evaluate(
      req({ agentId: "bot", action: "pay", amount: 12345.5, currency: "EUR" }),
      ctx("bot"),
    );
    expect(d.reasons).toEqual(["12,345.5 EUR over bot limit 1,000 ((none))"]);
  });

  it("evaluates a rule listed under several names and globs once", () => {
    const ev = evaluatorFor(
      [
        "rules:",
        "  - { id: r, effect: allow, reason: r, match: { actions: [tx.pay, 'tx.*', '*.pay'] } }",
        "",
      ].join("\n"),
    );
    const d = ev.evaluate(req({ agentId: "bot", action: "tx.pay" }), ctx("bot"));
    expect(d.matched.map((m) => m.ruleId)).toEqual(["r"]);
    expect(ev.evaluate(req({ agentId: "bot", action: "ty.pay" }), ctx("bot")).outcome).toBe("allow");
    expect(ev.evaluate(req({ agentId: "bot", action: "ty.get" }), ctx("bot")).outcome).toBe("deny");
  });

  it("does not grow the candidate set with rules that cannot match", () => {
    const lines = [
      "rules:",
      "  - { id: wanted, effect: allow, reason: w, match: { actions: [deploy], environments: [prod] } }",
    ];
    for (let i = 0; i < 1000; i++)
      lines.push(
        `  - { id: other-${i}, effect: deny, reason: o, match: { actions: [action-${i}] }, when: 'request.amount > 1.0' }`,
      );
    const ev = evaluatorFor(lines.join("\n") + "\n");
    expect(ev.candidates(req({ agentId: "bot", action: "deploy", environment: "prod" }))).toEqual(["wanted"]);
    expect(ev.candidates(req({ agentId: "bot", action: "action-7" }))).toEqual(["other-7"]);
  });
});

describe("identity and agents", () => {
  const ev = (): Evaluator => evaluatorFor("rules:\n  - { id: grant, effect: allow, reason: ok }\n");

  it("denies when the payload's agentId differs from the transport identity", () => {
    const d = ev().evaluate(req({ agentId: "pipeline", action: "x" }), ctx("bot"));
    expect(d).toMatchObject({ outcome: "deny", agentId: "bot", riskLevel: "high" });
    expect(d.matched).toEqual([
      {
        ruleId: BUILTIN.identityMismatch,
        effect: "deny",
        reason: 'payload agentId "pipeline" does not match the authenticated agent "bot"',
        shadow: false,
      },
    ]);
  });

  it("denies an agent without a profile", () => {
    const d = ev().evaluate(req({ agentId: "stranger", action: "x" }), ctx("stranger"));
    expect(d.outcome).toBe("deny");
    expect(d.matched.map((m) => m.ruleId)).toEqual([BUILTIN.agentUnknown]);
  });

  it("applies profile allow/forbid lists for actions and tools", () => {
    const agents = fixtureFiles()
      .get("agents.yaml")
      ?.replace(
        "    limits: { maxTransactionAmount: 1000 }",
        "    allowedActions: ['kb.*']\n    forbiddenActions: [kb.delete]\n    allowedTools: [search]\n    forbiddenTools: ['search']",
      );
    const e = createEvaluator(
      compileBundle(
        fixtureFiles({
          "agents.yaml": agents,
          "rules.yaml": "rules:\n  - { id: grant, effect: allow, reason: ok }\n",
        }),
      ),
    );
    expect(e.evaluate(req({ agentId: "bot", action: "kb.read" }), ctx("bot")).outcome).toBe("allow");
    expect(e.evaluate(req({ agentId: "bot", action: "db.read" }), ctx("bot")).matched[0]?.ruleId).toBe(
      BUILTIN.actionNotAllowed,
    );
    expect(e.evaluate(req({ agentId: "bot", action: "kb.delete" }), ctx("bot")).matched[0]?.ruleId).toBe(
      BUILTIN.actionForbidden,
    );
    expect(
      e.evaluate(req({ agentId: "bot", action: "kb.read", tool: "search" }), ctx("bot")).matched[0]?.ruleId,
    ).toBe(BUILTIN.toolForbidden);
    expect(
      e.evaluate(req({ agentId: "bot", action: "kb.read", tool: "web" }), ctx("bot")).matched[0]?.ruleId,
    ).toBe(BUILTIN.toolNotAllowed);
  });
});

describe("emergency stop", () => {
  const ev = evaluatorFor(["rules:", "  - { id: grant, effect: allow, reason: ok }", ""].join("\n"));
  const deploy = req({ agentId: "bot", action: "change.deploy", environment: "prod", service: "payments" });
  const active = (
    ...scopes: { kind: "global" | "environment" | "agent" | "service"; value?: string }[]
  ): StopState => ({ kind: "active", scopes, epoch: 4 });

  it.each([
    ["global", active({ kind: "global" }), "deny"],
    ["environment prod", active({ kind: "environment", value: "prod" }), "deny"],
    ["environment dev", active({ kind: "environment", value: "dev" }), "allow"],
    ["agent bot", active({ kind: "agent", value: "bot" }), "deny"],
    ["agent pipeline", active({ kind: "agent", value: "pipeline" }), "allow"],
    ["service payments", active({ kind: "service", value: "payments" }), "deny"],
    ["service search", active({ kind: "service", value: "search" }), "allow"],
    ["one of several", active({ kind: "service", value: "search" }, { kind: "agent", value: "bot" }), "deny"],
  ] as const)("%s → %s", (_name, stopState, outcome) => {
    const d = ev.evaluate(deploy, ctx("bot", { stopState }));
    expect(d.outcome).toBe(outcome);
    if (outcome === "deny")
      expect(d.matched).toEqual([
        expect.objectContaining({
          ruleId: BUILTIN.stopActive,
          reason: expect.stringContaining("epoch 4") as string,
        }),
      ]);
  });

  it("denies when the stop state is unknown", () => {
    const d = ev.evaluate(deploy, ctx("bot", { stopState: { kind: "unknown", reason: "KV unreachable" } }));
    expect(d.matched).toEqual([
      {
        ruleId: BUILTIN.stopUnknown,
        effect: "deny",
        reason: "emergency-stop state unknown (KV unreachable); treated as stopped",
        shadow: false,
      },
    ]);
  });

  it("keeps safety actions (rollbacks) going through the rules during a stop", () => {
    const rollback = req({ agentId: "bot", action: "change.rollback", environment: "prod" });
    expect(ev.evaluate(rollback, ctx("bot", { stopState: active({ kind: "global" }) })).outcome).toBe(
      "allow",
    );
    expect(ev.evaluate(rollback, ctx("bot", { stopState: { kind: "unknown", reason: "x" } })).outcome).toBe(
      "allow",
    );
  });
});

describe("explain", () => {
  const ev = evaluatorFor(
    [
      "rules:",
      "  - { id: grant, effect: allow, reason: ok }",
      "  - { id: big, effect: deny, reason: big, match: { actions: [pay] }, when: 'request.amount > 100.0' }",
      "  - { id: broken, effect: allow, reason: b, match: { actions: [pay] }, when: 'request.tool == \"x\"' }",
      "  - { id: prod-only, effect: deny, reason: p, match: { environments: [prod] } }",
      "  - { id: other-action, effect: deny, reason: o, match: { actions: [refund] } }",
      "",
    ].join("\n"),
  );

  it("lists every rule with why it matched or not", () => {
    const x = ev.explain(req({ agentId: "bot", action: "pay", amount: 5 }), ctx("bot"));
    expect(x.decision.outcome).toBe("deny");
    expect(x.candidates).toEqual(["grant", "big", "broken"]);
    const byId = Object.fromEntries(x.rules.map((r) => [r.ruleId, r]));
    expect(byId.grant).toMatchObject({ status: "matched", detail: "ok" });
    expect(byId.big).toMatchObject({
      status: "condition_false",
      detail: "condition false: request.amount > 100.0",
    });
    expect(byId.broken).toMatchObject({
      status: "condition_error",
      effect: "deny",
      detail: expect.stringMatching(/No such key: tool.*counts as deny/) as string,
    });
    expect(byId["prod-only"]).toMatchObject({
      status: "index_miss",
      detail: "request has no environment; rule needs environment in [prod]",
    });
    expect(byId["other-action"]).toMatchObject({
      status: "index_miss",
      detail: 'action "pay" not in [refund]',
      location: { file: "rules.yaml", line: 6 },
    });
    expect(byId[BUILTIN.identityMismatch]).toMatchObject({ kind: "gate", status: "condition_false" });
  });

  it("marks rules as skipped when a gate decided first", () => {
    const x = ev.explain(req({ agentId: "pipeline", action: "pay" }), ctx("bot"));
    expect(x.rules.find((r) => r.ruleId === BUILTIN.identityMismatch)?.status).toBe("matched");
    expect(x.rules.filter((r) => r.kind === "rule").every((r) => r.status === "skipped")).toBe(true);
  });
});

describe("rate and budget limits (agents.yaml limits, against the usage snapshot)", () => {
  let ev: Evaluator;
  beforeAll(async () => {
    ev = createEvaluator(await loadGovernanceBundle());
  });
  const used = (requestsLastMinute: number, committedToday = 0): Partial<EvaluationContext> => ({
    usage: { state: "confirmed", requestsLastMinute, committedToday },
  });
  const unknown: Partial<EvaluationContext> = { usage: { state: "unknown", reason: "not caught up" } };
  const search = req({ agentId: "customer-support", action: "knowledge.search" });
  const refund = (amount: number, currency = "USD") =>
    req({ agentId: "customer-support", action: "refund.issue", amount, currency });
  const ids = (d: { matched: readonly { ruleId: string }[] }) => d.matched.map((m) => m.ruleId);

  it("denies once the requests in the last minute reach maxRequestsPerMinute, naming the limit", () => {
    const d = ev.evaluate(search, ctx("customer-support", used(300)));
    expect(d.outcome).toBe("deny");
    expect(ids(d)).toEqual([BUILTIN.rateLimit]);
    expect(d.reasons).toEqual(["customer-support made 300 requests in the last minute; the limit is 300"]);
    const over = ev.evaluate(search, ctx("customer-support", used(1_250)));
    expect(over.reasons).toEqual([
      "customer-support made 1,250 requests in the last minute; the limit is 300",
    ]);
  });

  it("does not deny below the limit", () => {
    const d = ev.evaluate(search, ctx("customer-support", used(299)));
    expect(d.outcome).toBe("allow");
    expect(ids(d)).toEqual(["grant.customer-support"]);
  });

  it("reports the limit beside other denies", () => {
    const d = ev.evaluate(
      req({ agentId: "customer-support", action: "code.push" }),
      ctx("customer-support", used(300)),
    );
    expect(ids(d)).toEqual([BUILTIN.actionForbidden, BUILTIN.rateLimit]);
  });

  it("denies when today's committed amount plus this one exceeds dailyBudget, saying what is left", () => {
    const d = ev.evaluate(refund(80), ctx("customer-support", used(1, 4_950)));
    expect(d.outcome).toBe("deny");
    expect(ids(d)).toEqual([BUILTIN.dailyBudget]);
    expect(d.reasons).toEqual([
      "customer-support has committed 4,950 USD of its daily budget of 5,000 USD today (UTC); 50 USD left, this request is for 80 USD",
    ]);
  });

  it("allows within the budget, up to exactly the budget", () => {
    expect(ev.evaluate(refund(80), ctx("customer-support", used(1, 4_900))).outcome).toBe("allow");
    const exact = ev.evaluate(refund(50.5), ctx("customer-support", used(1, 4_949.5)));
    expect(exact.outcome).toBe("allow");
    const cent = ev.evaluate(refund(50.51), ctx("customer-support", used(1, 4_949.5)));
    expect(ids(cent)).toEqual([BUILTIN.dailyBudget]);
  });

  it("applies the budget only to requests that carry an amount", () => {
    const d = ev.evaluate(search, ctx("customer-support", used(1, 9_000)));
    expect(d.outcome).toBe("allow");
  });

  it("refuses an amount in another currency than the budget's", () => {
    const d = ev.evaluate(refund(10, "EUR"), ctx("customer-support", used(0, 0)));
    expect(ids(d)).toEqual([BUILTIN.dailyBudget]);
    expect(d.reasons).toEqual([
      "an amount in EUR cannot be counted against customer-support's daily budget in USD",
    ]);
  });

  it("fails closed for limited agents when the usage is unknown, and only for them", () => {
    const d = ev.evaluate(search, ctx("customer-support", unknown));
    expect(d.outcome).toBe("deny");
    expect(ids(d)).toEqual([BUILTIN.usageUnknown]);
    expect(d.reasons[0]).toBe(
      "usage of customer-support could not be confirmed (not caught up); its rate limit (300/min) cannot be checked, so the request is denied",
    );
    expect(ev.evaluate(refund(10), ctx("customer-support", unknown)).reasons[0]).toContain(
      "rate limit (300/min) and daily budget",
    );
    // release-pipeline has no rate or budget limit: unaffected.
    const deploy = req({
      agentId: "release-pipeline",
      action: "change.deploy",
      changeType: "code",
      environment: "development",
      versionChange: "patch",
    });
    expect(ev.evaluate(deploy, ctx("release-pipeline", unknown)).outcome).toBe("allow");
    expect(ev.evaluate(deploy, ctx("release-pipeline", used(100_000, 1e9))).outcome).toBe("allow");
  });

  it("explain lists the limits: matched, below, or not applicable", () => {
    const byId = (x: { rules: readonly { ruleId: string }[] }) =>
      Object.fromEntries(x.rules.map((r) => [r.ruleId, r]));
    const hit = byId(ev.explain(search, ctx("customer-support", used(300))));
    expect(hit[BUILTIN.rateLimit]).toMatchObject({ kind: "gate", status: "matched", effect: "deny" });
    const below = byId(ev.explain(refund(10), ctx("customer-support", used(12, 100))));
    expect(below[BUILTIN.rateLimit]).toMatchObject({
      status: "condition_false",
      detail: "12 requests in the last minute, below the limit of 300",
    });
    expect(below[BUILTIN.dailyBudget]).toMatchObject({
      status: "condition_false",
      detail: "100 USD committed today; this request fits the daily budget of 5,000 USD",
    });
    expect(below[BUILTIN.usageUnknown]).toMatchObject({ status: "condition_false" });
    const none = byId(
      ev.explain(req({ agentId: "release-pipeline", action: "change.rollback" }), ctx("release-pipeline")),
    );
    expect(none[BUILTIN.rateLimit]).toMatchObject({
      status: "not_applicable",
      detail: "agent has no maxRequestsPerMinute",
    });
    expect(none[BUILTIN.usageUnknown]).toMatchObject({ status: "not_applicable" });
  });
});
