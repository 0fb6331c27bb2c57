import type {
  Bundle,
  CompiledAgent,
  CompiledRule,
  Dimension,
  NameSet,
  RiskLevel,
  RuleOutcome,
  RuleTarget,
  SourceLocation,
  Workflow,
} from "./bundle.ts";
import type { BundleIssue } from "./bundle-error.ts";
import { BundleError } from "./bundle-error.ts";
import type {
  AgentsFile,
  BundleFileName,
  DecisionMatrixFile,
  ManifestFile,
  RiskLevelsFile,
  RulesFile,
  WorkflowsFile,
} from "./bundle-schema.ts";
import { BUNDLE_FILES } from "./bundle-schema.ts";
import type { AgentView } from "./cel-environment.ts";
import { compileCondition } from "./cel-environment.ts";
import type { AiRole, ApprovalRequirement, Effect, MatchedRule } from "./decision.ts";
import { bundleDigest } from "./digest.ts";
import type { GlobMatcher } from "./glob.ts";
import { compileGlob } from "./glob.ts";
import type { CompiledReason } from "./reason-template.ts";
import { compileReason, staticReason } from "./reason-template.ts";
import { buildIndex } from "./rule-index.ts";
import { isValidTimeZone } from "./time-window.ts";
import type { Path, YamlFile } from "./yaml-source.ts";
import { formatPath, locate, locateInScalar, parseYaml, validateYaml } from "./yaml-source.ts";

/** A bundle's policy files: name relative to the bundle directory → UTF-8 text. */
export type BundleFiles = ReadonlyMap<string, string>;

const FILE_NAMES = Object.keys(BUNDLE_FILES) as BundleFileName[];

/** Collects located issues while compiling. */
class Issues {
  readonly list: BundleIssue[] = [];
  add(yaml: YamlFile, path: Path, reason: string, key?: string): void {
    this.list.push({
      file: yaml.file,
      ...locate(yaml, path, key),
      field: formatPath(key === undefined ? path : [...path, key]),
      reason,
    });
  }
  addInScalar(yaml: YamlFile, path: Path, offset: number, reason: string): void {
    this.list.push({
      file: yaml.file,
      ...locateInScalar(yaml, path, offset),
      field: formatPath(path),
      reason,
    });
  }
}

/** One validated file. */
interface Section<T> {
  readonly yaml: YamlFile;
  readonly value: T;
}

interface Parsed {
  manifest?: Section<ManifestFile>;
  riskLevels?: Section<RiskLevelsFile>;
  agents?: Section<AgentsFile>;
  matrix?: Section<DecisionMatrixFile>;
  rules?: Section<RulesFile>;
  workflows?: Section<WorkflowsFile>;
}

function parseFiles(files: BundleFiles, issues: Issues): Parsed {
  const parsed: Parsed = {};
  for (const name of files.keys()) {
    if (!(FILE_NAMES as string[]).includes(name)) {
      issues.list.push({
        file: name,
        line: 0,
        col: 0,
        field: "",
        reason: `unknown bundle file; expected ${FILE_NAMES.join(", ")}`,
      });
    }
  }
  for (const name of FILE_NAMES) {
    const text = files.get(name);
    if (text === undefined) {
      if (BUNDLE_FILES[name].required)
        issues.list.push({ file: name, line: 0, col: 0, field: "", reason: "required file is missing" });
      continue;
    }
    const { yaml, issues: yamlIssues } = parseYaml(name, text);
    if (yamlIssues.length > 0) {
      issues.list.push(...yamlIssues);
      continue;
    }
    const result = validateYaml(yaml, BUNDLE_FILES[name].schema);
    if (!result.ok) {
      issues.list.push(...result.issues);
      continue;
    }
    switch (name) {
      case "bundle.yaml":
        parsed.manifest = { yaml, value: result.value as ManifestFile };
        break;
      case "risk-levels.yaml":
        parsed.riskLevels = { yaml, value: result.value as RiskLevelsFile };
        break;
      case "agents.yaml":
        parsed.agents = { yaml, value: result.value as AgentsFile };
        break;
      case "decision-matrix.yaml":
        parsed.matrix = { yaml, value: result.value as DecisionMatrixFile };
        break;
      case "rules.yaml":
        parsed.rules = { yaml, value: result.value as RulesFile };
        break;
      case "workflows.yaml":
        parsed.workflows = { yaml, value: result.value as WorkflowsFile };
        break;
    }
  }
  return parsed;
}

function nameSet(patterns: readonly string[], yaml: YamlFile, path: Path, issues: Issues): NameSet {
  const exact = new Set<string>();
  const globs: GlobMatcher[] = [];
  patterns.forEach((pattern, i) => {
    try {
      const g = compileGlob(pattern);
      if (g.isGlob) globs.push(g);
      else exact.add(g.literal ?? pattern);
    } catch (err) {
      issues.add(yaml, [...path, i], (err as Error).message);
    }
  });
  return { patterns, exact, globs };
}

function union(...lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())];
}

function freezeApproval(a: ApprovalRequirement): ApprovalRequirement {
  return Object.freeze({
    ...a,
    requiredRoles: Object.freeze([...a.requiredRoles]),
    eligibleRoles: Object.freeze([...a.eligibleRoles]),
    escalation: Object.freeze(a.escalation.map((e) => Object.freeze({ ...e }))),
    notify: Object.freeze([...a.notify]),
  });
}

/**
 * Identical requirements are shared (one object per workflow + quorum + roles + AI role), so a
 * decision matching several rules of the same workflow needs no merge.
 */
function approvalFor(
  wf: Workflow,
  options: { minApprovers: number; requiredRoles: readonly string[]; aiRole?: AiRole },
  shared: Map<string, ApprovalRequirement>,
): ApprovalRequirement {
  const key = JSON.stringify([
    wf.id,
    options.minApprovers,
    [...options.requiredRoles].sort(),
    options.aiRole ?? null,
  ]);
  let approval = shared.get(key);
  if (approval === undefined) shared.set(key, (approval = buildApproval(wf, options)));
  return approval;
}

function buildApproval(
  wf: Workflow,
  options: { minApprovers: number; requiredRoles: readonly string[]; aiRole?: AiRole },
): ApprovalRequirement {
  const requiredRoles = union(wf.requiredRoles, options.requiredRoles);
  const aiRole = options.aiRole;
  const aiPermits = aiRole === undefined || aiRole === "auto_deploy" || aiRole === "recommend";
  return freezeApproval({
    workflow: wf.id,
    minApprovers: Math.max(options.minApprovers, wf.minApprovers, requiredRoles.length),
    requiredRoles,
    eligibleRoles: union(wf.eligibleRoles, requiredRoles),
    timeoutSeconds: wf.timeoutSeconds,
    escalation: wf.escalation,
    ...(aiRole === undefined ? {} : { aiRole }),
    aiMayRecommend: wf.aiMayRecommend && aiPermits,
    aiMayApprove: false,
    notify: wf.notify,
  });
}

function outcome(
  ruleId: string,
  effect: Effect,
  shadow: boolean,
  reason: CompiledReason,
  approval?: ApprovalRequirement,
): RuleOutcome {
  const staticMatch: MatchedRule | undefined = reason.isStatic
    ? Object.freeze({ ruleId, effect, reason: reason.text, shadow })
    : undefined;
  return {
    effect,
    ...(approval === undefined ? {} : { approval }),
    ...(staticMatch === undefined ? {} : { staticMatch }),
    reason: reason.render,
  };
}

function location(yaml: YamlFile, path: Path): SourceLocation {
  return { file: yaml.file, ...locate(yaml, path) };
}

function checkDuplicates<T extends { id: string }>(
  items: readonly T[],
  yaml: YamlFile,
  key: string,
  issues: Issues,
  what: string,
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) issues.add(yaml, [key, i, "id"], `duplicate ${what} id "${item.id}"`);
    seen.add(item.id);
  });
}

/** What the sections compiled so far offer the later ones, and where they report. */
class Compilation {
  readonly issues: Issues;
  readonly rules: CompiledRule[] = [];
  /** Identical approval requirements share one object (see approvalFor). */
  readonly sharedApprovals = new Map<string, ApprovalRequirement>();
  /** Condition text → its memo slot. */
  readonly slots = new Map<string, number>();
  /** Rule id → where it was first defined (`file:line`). */
  readonly #ruleIds = new Map<string, string>();
  readonly #riskRank: ReadonlyMap<string, number> | undefined;
  readonly #workflows: ReadonlyMap<string, Workflow>;
  readonly agents: ReadonlyMap<string, CompiledAgent>;
  /** agents.yaml was loaded, so rules may name only its agents. */
  readonly agentsDefined: boolean;

  constructor(
    issues: Issues,
    riskRank: ReadonlyMap<string, number> | undefined,
    workflows: ReadonlyMap<string, Workflow>,
    agents: ReadonlyMap<string, CompiledAgent> | undefined,
  ) {
    this.issues = issues;
    this.#riskRank = riskRank;
    this.#workflows = workflows;
    this.agents = agents ?? new Map();
    this.agentsDefined = agents !== undefined;
  }

  /** Rank of a risk level named at `path` (-1 when none is named or it is unknown). */
  checkRisk(yaml: YamlFile, path: Path, id: string | undefined): number {
    return checkRisk(this.issues, this.#riskRank, yaml, path, id);
  }

  workflowAt(yaml: YamlFile, path: Path, id: string): Workflow | undefined {
    const wf = this.#workflows.get(id);
    if (wf === undefined) {
      const known =
        this.#workflows.size === 0
          ? "workflows.yaml defines none"
          : `defined: ${[...this.#workflows.keys()].join(", ")}`;
      this.issues.add(yaml, path, `unknown workflow "${id}"; ${known}`);
    }
    return wf;
  }

  /** Rule ids are unique across rules.yaml and the decision matrix. */
  claimId(yaml: YamlFile, path: Path, id: string): void {
    const previous = this.#ruleIds.get(id);
    if (previous !== undefined)
      this.issues.add(yaml, path, `duplicate rule id "${id}" (also in ${previous})`);
    else this.#ruleIds.set(id, `${yaml.file}:${locate(yaml, path).line}`);
  }
}

/** `riskRank` undefined: risk-levels.yaml did not load, so names cannot be checked. */
function checkRisk(
  issues: Issues,
  riskRank: ReadonlyMap<string, number> | undefined,
  yaml: YamlFile,
  path: Path,
  id: string | undefined,
): number {
  if (id === undefined) return -1;
  const rank = riskRank?.get(id);
  if (rank === undefined && riskRank !== undefined) {
    issues.add(yaml, path, `unknown risk level "${id}"; defined: ${[...riskRank.keys()].join(", ")}`);
  }
  return rank ?? -1;
}

function compileRiskLevels(
  { yaml, value }: Section<RiskLevelsFile>,
  issues: Issues,
): { riskLevels: RiskLevel[]; riskRank: Map<string, number> } {
  const riskLevels: RiskLevel[] = [];
  const riskRank = new Map<string, number>();
  checkDuplicates(value.riskLevels, yaml, "riskLevels", issues, "risk level");
  value.riskLevels.forEach((r, rank) => {
    if (!riskRank.has(r.id)) riskRank.set(r.id, rank);
    riskLevels.push(Object.freeze({ ...r, rank, approverRoles: Object.freeze([...r.approverRoles]) }));
  });
  return { riskLevels, riskRank };
}

function compileWorkflows({ yaml, value }: Section<WorkflowsFile>, issues: Issues): Map<string, Workflow> {
  const workflows = new Map<string, Workflow>();
  checkDuplicates(value.workflows, yaml, "workflows", issues, "workflow");
  value.workflows.forEach((w, i) => {
    w.escalation.forEach((e, j) => {
      if (e.after <= 0)
        issues.add(yaml, ["workflows", i, "escalation", j, "after"], "must be after the request (> 0)");
    });
    const requiredOutsidePool = w.approvers.required.filter((r) => !w.approvers.roles.includes(r));
    if (requiredOutsidePool.length > 0) {
      issues.add(
        yaml,
        ["workflows", i, "approvers", "required"],
        `required roles must be among approvers.roles: ${requiredOutsidePool.join(", ")}`,
      );
    }
    if (w.approvers.required.length > w.approvers.min) {
      issues.add(
        yaml,
        ["workflows", i, "approvers", "min"],
        `must be at least the number of required roles (${w.approvers.required.length})`,
      );
    }
    workflows.set(
      w.id,
      Object.freeze({
        id: w.id,
        ...(w.description === undefined ? {} : { description: w.description }),
        minApprovers: w.approvers.min,
        eligibleRoles: w.approvers.roles,
        requiredRoles: w.approvers.required,
        timeoutSeconds: w.timeout,
        escalation: w.escalation.map((e) => ({ role: e.role, afterSeconds: e.after })),
        notify: w.notify,
        aiMayRecommend: w.ai.mayRecommend,
      }),
    );
  });
  return workflows;
}

function compileAgents(
  { yaml, value }: Section<AgentsFile>,
  issues: Issues,
  riskRank: ReadonlyMap<string, number> | undefined,
): Map<string, CompiledAgent> {
  const out = new Map<string, CompiledAgent>();
  checkDuplicates(value.agents, yaml, "agents", issues, "agent");
  value.agents.forEach((a, i) => {
    const at = (...p: PropertyKey[]): Path => ["agents", i, ...p];
    const rank = checkRisk(issues, riskRank, yaml, at("riskLevel"), a.riskLevel);
    if (a.businessHours !== undefined && !isValidTimeZone(a.businessHours.timeZone)) {
      issues.add(
        yaml,
        at("businessHours", "timeZone"),
        `unknown IANA time zone "${a.businessHours.timeZone}"`,
      );
    }
    const view: AgentView = Object.freeze({
      id: a.id,
      kind: a.kind,
      riskLevel: a.riskLevel,
      capabilities: Object.freeze({ ...a.capabilities }),
      limits: Object.freeze({ ...a.limits }),
      ...(a.businessHours === undefined ? {} : { businessHours: Object.freeze({ ...a.businessHours }) }),
    });
    out.set(a.id, {
      id: a.id,
      kind: a.kind,
      riskRank: rank,
      view,
      ...(a.allowedActions === undefined
        ? {}
        : { allowedActions: nameSet(a.allowedActions, yaml, at("allowedActions"), issues) }),
      forbiddenActions: nameSet(a.forbiddenActions, yaml, at("forbiddenActions"), issues),
      ...(a.allowedTools === undefined
        ? {}
        : { allowedTools: nameSet(a.allowedTools, yaml, at("allowedTools"), issues) }),
      forbiddenTools: nameSet(a.forbiddenTools, yaml, at("forbiddenTools"), issues),
      ...(a.limits.maxRequestsPerMinute === undefined
        ? {}
        : { maxRequestsPerMinute: a.limits.maxRequestsPerMinute }),
      ...(a.limits.dailyBudget === undefined ? {} : { dailyBudget: a.limits.dailyBudget }),
      ...(a.limits.currency === undefined ? {} : { currency: a.limits.currency }),
    });
  });
  return out;
}

function compileRules({ yaml, value }: Section<RulesFile>, ctx: Compilation): void {
  const issues = ctx.issues;
  value.rules.forEach((r, i) => {
    const at = (...p: PropertyKey[]): Path => ["rules", i, ...p];
    ctx.claimId(yaml, at("id"), r.id);
    const riskRankOfRule = ctx.checkRisk(yaml, at("risk"), r.risk);
    const target: { -readonly [D in Dimension]?: NameSet } = {};
    const dims: ReadonlyArray<readonly [Dimension, keyof typeof r.match]> = [
      ["action", "actions"],
      ["environment", "environments"],
      ["agent", "agents"],
      ["changeType", "changeTypes"],
    ];
    for (const [dim, key] of dims) {
      const patterns = r.match[key];
      if (patterns !== undefined) target[dim] = nameSet(patterns, yaml, at("match", key), issues);
    }
    if (ctx.agentsDefined && target.agent !== undefined) {
      r.match.agents?.forEach((agentId, j) => {
        if (target.agent?.exact.has(agentId) === true && !ctx.agents.has(agentId)) {
          issues.add(yaml, at("match", "agents", j), `unknown agent "${agentId}"; not in agents.yaml`);
        }
      });
    }
    let condition: CompiledRule["condition"];
    let guard: CompiledRule["guard"];
    let conditionSlot = -1;
    if (r.when !== undefined) {
      const c = compileCondition(r.when);
      if (c.ok) {
        condition = c.run;
        guard = c.guard;
        conditionSlot = ctx.slots.get(r.when) ?? ctx.slots.size;
        ctx.slots.set(r.when, conditionSlot);
      } else
        for (const issue of c.issues)
          issues.addInScalar(yaml, at("when"), issue.offset, `rule "${r.id}": ${issue.message}`);
    }
    const reason = compileReason(r.reason);
    if (!reason.ok) issues.add(yaml, at("reason"), reason.message);
    let approval: ApprovalRequirement | undefined;
    if (r.effect === "approval_required") {
      if (r.approval === undefined)
        issues.add(yaml, at("approval"), "is required when effect is approval_required");
      else {
        const wf = ctx.workflowAt(yaml, at("approval", "workflow"), r.approval.workflow);
        if (wf !== undefined) {
          approval = approvalFor(
            wf,
            { minApprovers: r.approval.minApprovers ?? 0, requiredRoles: r.approval.requiredRoles },
            ctx.sharedApprovals,
          );
        }
      }
    } else if (r.approval !== undefined) {
      issues.add(
        yaml,
        at("approval"),
        `only allowed when effect is approval_required (effect is ${r.effect})`,
      );
    }
    const shadow = r.mode === "shadow";
    ctx.rules.push({
      id: r.id,
      order: ctx.rules.length,
      kind: "rule",
      ...(r.description === undefined ? {} : { description: r.description }),
      shadow,
      riskRank: riskRankOfRule,
      target,
      ...(r.when === undefined ? {} : { when: r.when }),
      ...(condition === undefined ? {} : { condition }),
      ...(guard === undefined ? {} : { guard }),
      conditionSlot,
      outcome: outcome(r.id, r.effect, shadow, reason.ok ? reason.reason : staticReason(r.reason), approval),
      location: location(yaml, at()),
    });
  });
}

/** Each row of the decision matrix becomes an indexed rule without a condition. */
function compileMatrix({ yaml, value }: Section<DecisionMatrixFile>, ctx: Compilation): void {
  const issues = ctx.issues;
  const appliesTo =
    value.appliesTo === undefined ? undefined : nameSet(value.appliesTo, yaml, ["appliesTo"], issues);
  const seenKeys = new Map<string, number>();
  value.rows.forEach((row, i) => {
    const at = (...p: PropertyKey[]): Path => ["rows", i, ...p];
    const envLabel = row.environment === "*" ? "any" : row.environment;
    const versionLabel = row.version === "*" ? "any" : row.version;
    const id = row.id ?? `matrix.${row.changeType}.${envLabel}.${versionLabel}`;
    const key = `${row.changeType}\u0000${row.environment}\u0000${row.version}`;
    const previous = seenKeys.get(key);
    if (previous !== undefined)
      issues.add(yaml, at(), `same change type, environment and version as rows[${previous}]`);
    else ctx.claimId(yaml, row.id === undefined ? at() : at("id"), id);
    seenKeys.set(key, i);
    const rank = ctx.checkRisk(yaml, at("risk"), row.risk);
    const aiNeedsHuman = row.approvers === 0 && (row.ai === "recommend" || row.ai === "analyze");
    let wf: Workflow | undefined;
    if (row.workflow !== undefined) wf = ctx.workflowAt(yaml, at("workflow"), row.workflow);
    else if (row.approvers > 0 || aiNeedsHuman) {
      issues.add(
        yaml,
        at("workflow"),
        row.approvers > 0
          ? "is required when approvers > 0"
          : `is required when ai is ${row.ai} (an AI agent's request goes to a human)`,
      );
    }

    const what = `${row.changeType} change${row.environment === "*" ? "" : ` to ${row.environment}`}${row.version === "*" ? "" : ` (${row.version})`}`;
    const roles = row.requiredRoles.length > 0 ? ` incl. ${row.requiredRoles.join(" + ")}` : "";
    const target: { -readonly [D in Dimension]?: NameSet } = {
      changeType: nameSet([row.changeType], yaml, at("changeType"), issues),
    };
    if (appliesTo !== undefined) target.action = appliesTo;
    if (row.environment !== "*")
      target.environment = nameSet([row.environment], yaml, at("environment"), issues);
    if (row.version !== "*") target.versionChange = nameSet([row.version], yaml, at("version"), issues);

    let base: RuleOutcome;
    let approval: ApprovalRequirement | undefined;
    if (wf !== undefined && row.approvers > 0) {
      approval = approvalFor(
        wf,
        { minApprovers: row.approvers, requiredRoles: row.requiredRoles, aiRole: row.ai },
        ctx.sharedApprovals,
      );
      base = outcome(
        id,
        "approval_required",
        false,
        staticReason(
          `decision matrix: ${what} needs ${approval.minApprovers} approvers${roles} (workflow ${wf.id})`,
        ),
        approval,
      );
    } else if (row.approvers === 0) {
      base = outcome(id, "allow", false, staticReason(`decision matrix: ${what} needs no approval`));
    } else {
      base = outcome(id, "deny", false, staticReason(`decision matrix: ${what} has no valid workflow`));
    }
    let aiOutcome: RuleOutcome | undefined;
    if (row.ai === "human_only") {
      aiOutcome = outcome(
        id,
        "deny",
        false,
        staticReason(`decision matrix: ${what} is human only; AI agents may not request it`),
      );
    } else if (aiNeedsHuman && wf !== undefined) {
      const aiApproval = approvalFor(
        wf,
        { minApprovers: 1, requiredRoles: row.requiredRoles, aiRole: row.ai },
        ctx.sharedApprovals,
      );
      aiOutcome = outcome(
        id,
        "approval_required",
        false,
        staticReason(
          `decision matrix: for ${what} an AI agent may only ${row.ai}; a human approves (workflow ${wf.id})`,
        ),
        aiApproval,
      );
    }
    ctx.rules.push({
      id,
      order: ctx.rules.length,
      kind: "matrix",
      ...(row.description === undefined ? {} : { description: row.description }),
      shadow: false,
      riskRank: rank,
      target,
      conditionSlot: -1,
      outcome: base,
      ...(aiOutcome === undefined ? {} : { aiOutcome }),
      aiRole: row.ai,
      location: location(yaml, at()),
    });
  });
}

const NO_SAFETY_ACTIONS: NameSet = Object.freeze({ patterns: [], exact: new Set<string>(), globs: [] });

/**
 * Validates and compiles a bundle. Every problem across all files is collected and thrown as one
 * {@link BundleError}; a bundle that compiles is immutable and ready for the evaluator. Sections
 * compile in a fixed order (risk levels, workflows, agents, rules, decision matrix, manifest), each
 * reading what the earlier ones compiled, all reporting into one issue list.
 */
export function compileBundle(files: BundleFiles): Bundle {
  const issues = new Issues();
  const parsed = parseFiles(files, issues);
  const risk = parsed.riskLevels === undefined ? undefined : compileRiskLevels(parsed.riskLevels, issues);
  const workflows =
    parsed.workflows === undefined ? new Map<string, Workflow>() : compileWorkflows(parsed.workflows, issues);
  const agents =
    parsed.agents === undefined ? undefined : compileAgents(parsed.agents, issues, risk?.riskRank);
  const ctx = new Compilation(issues, risk?.riskRank, workflows, agents);
  if (parsed.rules !== undefined) compileRules(parsed.rules, ctx);
  if (parsed.matrix !== undefined) compileMatrix(parsed.matrix, ctx);
  const safetyActions =
    parsed.manifest === undefined
      ? NO_SAFETY_ACTIONS
      : nameSet(parsed.manifest.value.safetyActions, parsed.manifest.yaml, ["safetyActions"], issues);

  if (issues.list.length > 0) throw new BundleError(issues.list);
  if (parsed.manifest === undefined)
    throw new BundleError([
      { file: "bundle.yaml", line: 0, col: 0, field: "", reason: "required file is missing" },
    ]);

  const policyFiles = new Map([...files].filter(([name]) => (FILE_NAMES as string[]).includes(name)));
  const rules = ctx.rules;
  return Object.freeze({
    name: parsed.manifest.value.name,
    digest: bundleDigest(policyFiles),
    files: [...policyFiles.keys()].sort(),
    riskLevels: risk?.riskLevels ?? [],
    agents: ctx.agents,
    workflows,
    rules,
    index: buildIndex(rules),
    conditionSlots: ctx.slots.size,
    safetyActions,
  });
}

/** Target as written, for explanations: `action in [a, b]`. */
export function describeTarget(target: RuleTarget): string {
  const parts: string[] = [];
  for (const [dim, set] of Object.entries(target) as [Dimension, NameSet][])
    parts.push(`${dim} in [${set.patterns.join(", ")}]`);
  return parts.length === 0 ? "any request" : parts.join(", ");
}
