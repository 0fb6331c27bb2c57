// In-process policy decision latency: Warden's evaluator vs. @cedar-policy/cedar-wasm on equivalent
// rules, same requests, same run. Plain node script:
//
//   node test/bench/policy-inprocess.bench.ts [--quick] [--warden-only]
//
// For bundles of 10, 100 and 1,000 rules it generates a bundle (YAML, compiled like any other), the
// same rules as Cedar policies (forbid / permit, `when` conditions on context attributes; Warden's
// approval_required is a permit annotated @approval, read back from the diagnostics), checks that
// both decide every request of the mix identically, then times each decision individually.
import { cpus } from "node:os";
import { preparsePolicySet, statefulIsAuthorized } from "@cedar-policy/cedar-wasm/nodejs";
import type { Context, StatefulAuthorizationCall } from "@cedar-policy/cedar-wasm/nodejs";
import { compileBundle, createEvaluator, indexStats, STOP_CLEAR, USAGE_NONE } from "@warden/policy";
import type { ActionRequest, Evaluator, Outcome } from "@warden/policy";
import type { Summary } from "./lib/stats.ts";
import { formatNs, sample, summarize, timerOverhead } from "./lib/stats.ts";

const QUICK = process.argv.includes("--quick");
const WARDEN_ONLY = process.argv.includes("--warden-only"); // e.g. for --cpu-prof of the evaluator alone
const SIZES = [10, 100, 1_000] as const;
const WARDEN = { warmup: QUICK ? 20_000 : 100_000, iterations: QUICK ? 50_000 : 500_000 };
const CEDAR = { warmup: QUICK ? 1_000 : 5_000, iterations: QUICK ? 5_000 : 30_000 };
const REQUESTS = 1_000;

// --- a deterministic, realistic vocabulary ------------------------------------------------------

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DOMAINS = [
  "deploy",
  "db",
  "message",
  "transaction",
  "refund",
  "ticket",
  "contract",
  "infra",
  "secret",
  "report",
];
const VERBS = ["read", "write", "execute", "approve", "delete"];
const ACTIONS = DOMAINS.flatMap((d) => VERBS.map((v) => `${d}.${v}`));
const AGENTS = Array.from({ length: 20 }, (_, i) => `agent-${String(i).padStart(2, "0")}`);
const ENVIRONMENTS = ["dev", "staging", "production"];
const TOOLS = ["db.admin", "db.query", "shell.exec", "http.get"];

type Effect = "allow" | "deny" | "approval_required";

interface RuleSpec {
  readonly id: string;
  readonly effect: Effect;
  readonly action?: string;
  readonly agent?: string;
  readonly environment?: string;
  readonly amountAbove?: number;
  readonly tool?: string;
}

/** Rule i of a bundle: a spread of grants, guards and approval rules over actions, agents, environments. */
function ruleSpec(i: number): RuleSpec {
  const effect: Effect = i % 4 === 0 ? "allow" : i % 4 === 3 ? "approval_required" : "deny";
  const c = i % 5;
  return {
    id: `r${i}`,
    effect,
    ...(i % 50 === 49 ? {} : { action: ACTIONS[(i * 7) % ACTIONS.length] }),
    ...(i % 3 === 0 ? {} : { agent: AGENTS[i % AGENTS.length] }),
    ...(i % 2 === 0 ? {} : { environment: ENVIRONMENTS[i % ENVIRONMENTS.length] }),
    ...(c === 1 || c === 3 ? { amountAbove: 100 * ((i % 30) + 1) } : {}),
    ...(c === 2 || c === 3 ? { tool: TOOLS[i % TOOLS.length] } : {}),
  };
}

function requests(): ActionRequest[] {
  const random = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  return Array.from({ length: REQUESTS }, (_, i) => ({
    actionId: `bench-${i}`,
    agentId: pick(AGENTS),
    action: pick(ACTIONS),
    environment: pick(ENVIRONMENTS),
    ...(random() < 0.6 ? { amount: Math.floor(random() * 5_000) } : {}),
    ...(random() < 0.4 ? { tool: pick(TOOLS) } : {}),
  }));
}

// --- the same rules, twice -------------------------------------------------------------------------

const BASE_FILES: Record<string, string> = {
  "bundle.yaml": "apiVersion: warden.dev/policy/v1\nname: bench\n",
  "risk-levels.yaml":
    "riskLevels:\n  - { id: low, description: low, approval: automated, minApprovers: 0, aiAutonomy: high }\n",
  "agents.yaml":
    "agents:\n" +
    AGENTS.map(
      (id, i) =>
        `  - { id: ${id}, kind: ${i % 2 === 0 ? "ai_agent" : "automation"}, riskLevel: low, capabilities: { dataAccess: read_write, externalMessages: true, codeExecution: false } }`,
    ).join("\n") +
    "\n",
  "workflows.yaml":
    'workflows:\n  - { id: review, approvers: { min: 1, roles: [team-lead] }, timeout: 30m, notify: ["slack:#review"], ai: { mayRecommend: true, mayApprove: false } }\n',
};

function wardenRule(r: RuleSpec): string {
  const match: string[] = [];
  if (r.action !== undefined) match.push(`actions: [${r.action}]`);
  if (r.agent !== undefined) match.push(`agents: [${r.agent}]`);
  if (r.environment !== undefined) match.push(`environments: [${r.environment}]`);
  const when: string[] = [];
  if (r.amountAbove !== undefined) when.push(`has(request.amount) && request.amount > ${r.amountAbove}`);
  if (r.tool !== undefined) when.push(`has(request.tool) && request.tool == "${r.tool}"`);
  return [
    `  - id: ${r.id}`,
    `    effect: ${r.effect}`,
    `    match: { ${match.join(", ")} }`,
    ...(when.length > 0 ? [`    when: '${when.map((w) => `(${w})`).join(" || ")}'`] : []),
    `    reason: rule ${r.id}`,
    ...(r.effect === "approval_required" ? ["    approval: { workflow: review }"] : []),
  ].join("\n");
}

function cedarPolicy(r: RuleSpec): string {
  const principal = r.agent === undefined ? "principal" : `principal == Agent::"${r.agent}"`;
  const action = r.action === undefined ? "action" : `action == Action::"${r.action}"`;
  const conditions: string[] = [];
  if (r.environment !== undefined)
    conditions.push(`context has environment && context.environment == "${r.environment}"`);
  const any: string[] = [];
  if (r.amountAbove !== undefined) any.push(`(context has amount && context.amount > ${r.amountAbove})`);
  if (r.tool !== undefined) any.push(`(context has tool && context.tool == "${r.tool}")`);
  if (any.length > 0) conditions.push(`(${any.join(" || ")})`);
  const effect = r.effect === "deny" ? "forbid" : "permit";
  const annotation = r.effect === "approval_required" ? '@approval("true")\n' : "";
  const when = conditions.length > 0 ? `\nwhen { ${conditions.join(" && ")} }` : "";
  return `${annotation}${effect} (${principal}, ${action}, resource)${when};`;
}

interface Contender {
  readonly decide: (i: number) => Outcome;
}

function warden(specs: readonly RuleSpec[]): { contender: Contender; evaluator: Evaluator } {
  const files = new Map(
    Object.entries({ ...BASE_FILES, "rules.yaml": `rules:\n${specs.map(wardenRule).join("\n")}\n` }),
  );
  const evaluator = createEvaluator(compileBundle(files));
  const reqs = requests();
  const contexts = reqs.map((r) => ({
    authenticatedAgentId: r.agentId,
    stopState: STOP_CLEAR,
    usage: USAGE_NONE,
  }));
  const n = reqs.length;
  return {
    evaluator,
    contender: {
      decide: (i) =>
        evaluator.evaluate(reqs[i % n] as ActionRequest, contexts[i % n] as (typeof contexts)[number])
          .outcome,
    },
  };
}

function cedar(specs: readonly RuleSpec[], id: string): Contender {
  const staticPolicies = Object.fromEntries(specs.map((r) => [r.id, cedarPolicy(r)]));
  const approvals = new Set(specs.filter((r) => r.effect === "approval_required").map((r) => r.id));
  const parsed = preparsePolicySet(id, { staticPolicies });
  if (parsed.type !== "success")
    throw new Error(`cedar refused the policies: ${JSON.stringify(parsed.errors)}`);
  const calls: StatefulAuthorizationCall[] = requests().map((r) => {
    const context: Context = { environment: r.environment ?? "" };
    if (r.amount !== undefined) context.amount = r.amount;
    if (r.tool !== undefined) context.tool = r.tool;
    return {
      principal: { type: "Agent", id: r.agentId },
      action: { type: "Action", id: r.action },
      resource: { type: "Resource", id: "target" },
      context,
      preparsedPolicySetId: id,
      entities: [],
    };
  });
  const n = calls.length;
  return {
    decide: (i) => {
      const answer = statefulIsAuthorized(calls[i % n] as StatefulAuthorizationCall);
      if (answer.type !== "success") throw new Error(`cedar failed: ${JSON.stringify(answer.errors)}`);
      const { decision, diagnostics } = answer.response;
      if (decision === "deny") return "deny";
      return diagnostics.reason.some((p) => approvals.has(p)) ? "approval_required" : "allow";
    },
  };
}

// --- run ---------------------------------------------------------------------------------------------

interface Row {
  readonly rules: number;
  readonly warden: Summary;
  readonly cedar: Summary;
  readonly candidates: number;
  readonly outcomes: Record<Outcome, number>;
}

const overhead = timerOverhead();
console.log(
  `node ${process.version} on ${cpus()[0]?.model ?? "unknown CPU"} (${cpus().length} cores)${QUICK ? " — quick run" : ""}`,
);
console.log(
  `timer overhead (empty call, included in every sample): p50 ${formatNs(overhead.p50Ns)}, p99 ${formatNs(overhead.p99Ns)}`,
);
console.log(
  `request mix: ${REQUESTS} requests over ${AGENTS.length} agents, ${ACTIONS.length} actions, ${ENVIRONMENTS.length} environments; 60% carry an amount, 40% a tool`,
);
console.log(
  `samples: warden ${WARDEN.iterations} per size after ${WARDEN.warmup} warm-up; cedar ${CEDAR.iterations} after ${CEDAR.warmup}\n`,
);

const rows: Row[] = [];
for (const size of SIZES) {
  const specs = Array.from({ length: size }, (_, i) => ruleSpec(i));
  const w = warden(specs);
  const c: Contender = WARDEN_ONLY ? { decide: (i) => w.contender.decide(i) } : cedar(specs, `bench-${size}`);

  // Equivalence: both must decide every request of the mix the same way.
  const outcomes: Record<Outcome, number> = { allow: 0, deny: 0, approval_required: 0 };
  let mismatches = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const a = w.contender.decide(i);
    outcomes[a]++;
    if (a !== c.decide(i)) mismatches++;
  }
  if (mismatches > 0)
    throw new Error(`${size} rules: warden and cedar disagree on ${mismatches} of ${REQUESTS} requests`);
  const reqs = requests();
  const candidates = reqs.reduce((sum, r) => sum + w.evaluator.candidates(r).length, 0) / reqs.length;

  const wardenSummary = summarize(sample(w.contender.decide, WARDEN));
  const cedarSummary = WARDEN_ONLY ? summarize(new Float64Array(0)) : summarize(sample(c.decide, CEDAR));
  rows.push({ rules: size, warden: wardenSummary, cedar: cedarSummary, candidates, outcomes });
  const stats = indexStats(w.evaluator.bundle.index);
  console.log(
    `${String(size).padStart(5)} rules: index ${stats.nodes} nodes, largest leaf ${stats.maxLeaf}; ${candidates.toFixed(1)} candidate rules per request on average; ` +
      `outcomes ${JSON.stringify(outcomes)}; warden = cedar on all ${REQUESTS} requests`,
  );
}

const pad = (s: string, n: number): string => s.padStart(n);
console.log(
  `\n${pad("rules", 6)} | ${pad("warden p50", 11)} | ${pad("warden p99", 11)} | ${pad("cedar p50", 11)} | ${pad("cedar p99", 11)} | ${pad("x p50", 7)} | ${pad("x p99", 7)}`,
);
console.log("-".repeat(82));
for (const r of rows) {
  console.log(
    `${pad(String(r.rules), 6)} | ${pad(formatNs(r.warden.p50Ns), 11)} | ${pad(formatNs(r.warden.p99Ns), 11)} | ${pad(formatNs(r.cedar.p50Ns), 11)} | ${pad(formatNs(r.cedar.p99Ns), 11)} | ${pad(`${(r.cedar.p50Ns / r.warden.p50Ns).toFixed(1)}x`, 7)} | ${pad(`${(r.cedar.p99Ns / r.warden.p99Ns).toFixed(1)}x`, 7)}`,
  );
}
console.log(
  "\n(x = cedar-wasm latency / warden latency; cedar uses statefulIsAuthorized over a preparsed policy set)",
);
for (const r of rows) {
  console.log(
    `${pad(String(r.rules), 6)} rules, warden: mean ${formatNs(r.warden.meanNs)}, p90 ${formatNs(r.warden.p90Ns)}, p99.9 ${formatNs(r.warden.p999Ns)}, max ${formatNs(r.warden.maxNs)} | cedar: mean ${formatNs(r.cedar.meanNs)}, p99.9 ${formatNs(r.cedar.p999Ns)}`,
  );
}

const at1000 = rows.find((r) => r.rules === 1_000);
if (at1000 !== undefined) {
  const p99ok = at1000.warden.p99Ns <= 5_000;
  const ratio = at1000.cedar.p99Ns / at1000.warden.p99Ns;
  console.log(
    `\ntarget p99 <= 5 µs at 1,000 rules: ${p99ok ? "met" : "MISSED"} (${formatNs(at1000.warden.p99Ns)})`,
  );
  console.log(
    `target >= 20x faster than cedar-wasm at 1,000 rules (p99): ${ratio >= 20 ? "met" : "MISSED"} (${ratio.toFixed(1)}x)`,
  );
}
