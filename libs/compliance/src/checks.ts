// The checks: pure functions from the period's audit records (and the chain verification) to a
// status, the seqs that prove it and the findings that break it. A control (controls.ts) names one
// or more checks; the frameworks share them.
import {
  actorOf,
  arr,
  at,
  num,
  obj,
  str,
  strings,
  type ChainVerification,
  type EvidenceActor,
  type EvidenceRecord,
  type Period,
} from "./evidence.ts";

export type CheckStatus = "pass" | "fail" | "no-evidence";

export interface Finding {
  readonly seq?: number;
  readonly actionId?: string;
  readonly message: string;
}

export interface CheckResult {
  readonly check: CheckId;
  readonly status: CheckStatus;
  /** One sentence: what the trail shows. */
  readonly summary: string;
  /** Seqs of the records the result rests on (sorted, distinct). */
  readonly evidence: readonly number[];
  readonly findings: readonly Finding[];
}

export interface CheckInput {
  readonly records: readonly EvidenceRecord[];
  readonly verification: ChainVerification | undefined;
  readonly period: Period;
  /**
   * Consumers that must acknowledge every emergency stop (instance ids or consumer actor ids). Empty:
   * every consumer seen acknowledging any stop in the period.
   */
  readonly stopConsumers: readonly string[];
}

export const CHECK_IDS = [
  "change-approvals",
  "segregation-of-duties",
  "ai-not-approver",
  "ai-actions-traced",
  "decisions-stamped",
  "emergency-stop-exercised",
  "rollbacks-verified-reviewed",
  "chain-verified",
  "retention-classes",
  "access-audited",
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export const T = {
  decision: "warden.decision.made",
  requested: "warden.action.requested",
  executed: "warden.action.executed",
  verdict: "warden.action.verdict",
  approvalRequested: "warden.approval.requested",
  voteCast: "warden.approval.vote_cast",
  resolved: "warden.approval.resolved",
  approvalRefused: "warden.approval.refused",
  stopActivated: "warden.killswitch.activated",
  stopAcknowledged: "warden.killswitch.acknowledged",
  stopDeactivated: "warden.killswitch.deactivated",
  rollbackCompleted: "warden.rollback.completed",
  incidentOpened: "warden.incident.opened",
  reviewOverdue: "warden.incident.review_overdue",
  auditQueried: "warden.audit.queried",
  accessRefused: "warden.access.refused",
} as const;

const REVIEW_WINDOW_MS = 48 * 3600 * 1000;
const SEVEN_YEARS_MS = 7 * 365 * 24 * 3600 * 1000;

function result(
  check: CheckId,
  status: CheckStatus,
  summary: string,
  evidence: Iterable<number>,
  findings: Finding[] = [],
): CheckResult {
  return { check, status, summary, evidence: [...new Set(evidence)].sort((a, b) => a - b), findings };
}

const ofType = (records: readonly EvidenceRecord[], type: string) => records.filter((r) => r.type === type);

function byAction(records: readonly EvidenceRecord[], type: string): Map<string, EvidenceRecord[]> {
  const map = new Map<string, EvidenceRecord[]>();
  for (const r of ofType(records, type)) {
    const id = r.actionId || str(r.data.actionId);
    if (id === "") continue;
    map.set(id, [...(map.get(id) ?? []), r]);
  }
  return map;
}

const isProduction = (r: EvidenceRecord): boolean =>
  r.environment === "production" || str(at(r.data, "request", "environment")) === "ENVIRONMENT_PRODUCTION";

/** A decision that asked for approval, by the agent itself (a dry run is never an approval). */
function approvalDecisions(records: readonly EvidenceRecord[]): EvidenceRecord[] {
  return ofType(records, T.decision).filter(
    (r) => str(r.data.outcome) === "OUTCOME_APPROVAL_REQUIRED" && r.data.dryRun !== true,
  );
}

interface CountedVote {
  readonly voter: EvidenceActor;
  readonly decision: string;
}

/** The approve votes of a resolution that counted (a recommendation or a refused vote never counts). */
function approveVotes(resolved: EvidenceRecord): CountedVote[] {
  return arr(resolved.data.votes)
    .map(obj)
    .filter((v) => v !== undefined)
    .filter((v) => str(v.decision) === "VOTE_DECISION_APPROVE" && v.counted !== false)
    .flatMap((v) => {
      const voter = actorOf(v.voter);
      return voter === undefined ? [] : [{ voter, decision: str(v.decision) }];
    });
}

/** Required roles each covered by a different approver (bipartite matching, as the approval service). */
export function missingRoles(
  approvers: readonly EvidenceActor[],
  requiredRoles: readonly string[],
): string[] {
  const roles = [...new Set(requiredRoles)];
  const people = new Map<string, Set<string>>();
  for (const a of approvers) people.set(a.id, new Set([...(people.get(a.id) ?? []), ...a.roles]));
  const personRole = new Map<string, string>();
  const augment = (role: string, seen: Set<string>): boolean => {
    for (const [id, held] of people) {
      if (seen.has(id) || !held.has(role)) continue;
      seen.add(id);
      const other = personRole.get(id);
      if (other === undefined || augment(other, seen)) {
        personRole.set(id, role);
        return true;
      }
    }
    return false;
  };
  for (const role of roles) augment(role, new Set());
  const matched = new Set(personRole.values());
  return roles.filter((r) => !matched.has(r));
}

function resolutionOf(
  resolvedBy: Map<string, EvidenceRecord[]>,
  actionId: string,
): EvidenceRecord | undefined {
  return resolvedBy.get(actionId)?.at(-1);
}

const approved = (r: EvidenceRecord | undefined): r is EvidenceRecord =>
  r !== undefined && str(r.data.status) === "APPROVAL_STATUS_APPROVED";

/**
 * Every production change that needed approval and went ahead (resolution approved, verdict
 * proceed or execution) had the approvals its rule required: N distinct human approvers, each
 * required role held by a different one. A change executed without an approved resolution fails.
 */
export function changeApprovals({ records }: CheckInput): CheckResult {
  const decisions = approvalDecisions(records).filter(isProduction);
  const resolved = byAction(records, T.resolved);
  const verdicts = byAction(records, T.verdict);
  const executed = byAction(records, T.executed);
  const evidence: number[] = [];
  const findings: Finding[] = [];
  let changes = 0;
  for (const d of decisions) {
    const actionId = d.actionId || str(d.data.actionId);
    const res = resolutionOf(resolved, actionId);
    const proceeded = (verdicts.get(actionId) ?? []).filter((v) => str(v.data.verdict) === "VERDICT_PROCEED");
    const ran = executed.get(actionId) ?? [];
    if (!approved(res) && proceeded.length === 0 && ran.length === 0) continue; // nothing changed
    changes += 1;
    evidence.push(d.seq, ...(res === undefined ? [] : [res.seq]), ...proceeded.map((v) => v.seq));
    evidence.push(...ran.map((r) => r.seq));
    if (!approved(res)) {
      findings.push({
        seq: (proceeded[0] ?? ran[0] ?? d).seq,
        actionId,
        message: `went ahead without an approved resolution (decision seq ${d.seq} required approval)`,
      });
      continue;
    }
    const req = obj(d.data.approval) ?? {};
    const min = num(req.minApprovers);
    const requiredRoles = strings(req.requiredRoles);
    const required = Math.max(min, new Set(requiredRoles).size, 1);
    const humans = approveVotes(res).filter((v) => v.voter.type === "human");
    const distinct = [...new Map(humans.map((v) => [v.voter.id, v.voter])).values()];
    const missing = missingRoles(distinct, requiredRoles);
    if (distinct.length < required || missing.length > 0) {
      findings.push({
        seq: res.seq,
        actionId,
        message:
          `approved by ${distinct.length} distinct human approver(s) (${distinct.map((a) => a.id).join(", ") || "none"}) ` +
          `where ${required} were required` +
          (missing.length > 0 ? `; no distinct approver with role ${missing.join(", ")}` : ""),
      });
    }
  }
  if (changes === 0)
    return result(
      "change-approvals",
      "no-evidence",
      "no production change needing approval went ahead in the period",
      [],
    );
  return findings.length === 0
    ? result(
        "change-approvals",
        "pass",
        `${changes} production change(s) that needed approval each had the approvers and roles their rule required`,
        evidence,
      )
    : result(
        "change-approvals",
        "fail",
        `${findings.length} of ${changes} production change(s) lacked the approvals their rule required`,
        evidence,
        findings,
      );
}

/** The people an approval may not come from: the requester, the human who launched the agent, the agent. */
function forbiddenApprovers(
  decision: EvidenceRecord | undefined,
  requested: EvidenceRecord | undefined,
): Set<string> {
  const ids = new Set<string>();
  for (const r of [decision, requested]) {
    if (r === undefined) continue;
    const request = obj(r.type === T.decision ? r.data.request : r.data) ?? {};
    const by = actorOf(request.requestedBy);
    if (by !== undefined) ids.add(by.id);
    if (str(request.agentId) !== "") ids.add(str(request.agentId));
    if (r.agentId !== "") ids.add(r.agentId);
  }
  return ids;
}

/** No counted approval came from the requester, the human behind the agent or the agent itself. */
export function segregationOfDuties({ records }: CheckInput): CheckResult {
  const decisions = new Map(approvalDecisions(records).map((d) => [d.actionId || str(d.data.actionId), d]));
  const requested = byAction(records, T.requested);
  const refused = ofType(records, T.approvalRefused).filter((r) => str(r.data.code) === "self_approval");
  const evidence: number[] = refused.map((r) => r.seq);
  const findings: Finding[] = [];
  let resolutions = 0;
  for (const res of ofType(records, T.resolved)) {
    const actionId = res.actionId || str(res.data.actionId);
    const forbidden = forbiddenApprovers(decisions.get(actionId), requested.get(actionId)?.[0]);
    if (forbidden.size === 0) continue;
    resolutions += 1;
    evidence.push(res.seq);
    for (const v of approveVotes(res)) {
      if (forbidden.has(v.voter.id))
        findings.push({ seq: res.seq, actionId, message: `approved by ${v.voter.id}, who requested it` });
    }
  }
  if (resolutions === 0 && refused.length === 0)
    return result("segregation-of-duties", "no-evidence", "no approval was resolved in the period", []);
  if (findings.length > 0)
    return result(
      "segregation-of-duties",
      "fail",
      `${findings.length} self-approval(s) counted`,
      evidence,
      findings,
    );
  return result(
    "segregation-of-duties",
    "pass",
    `${resolutions} resolved approval(s), none approved by its requester; ${refused.length} self-approval attempt(s) refused and recorded`,
    evidence,
  );
}

/** No counted approval came from an AI agent (AI may recommend, never approve). */
export function aiNotApprover({ records }: CheckInput): CheckResult {
  const evidence: number[] = [];
  const findings: Finding[] = [];
  const resolutions = ofType(records, T.resolved);
  for (const res of resolutions) {
    evidence.push(res.seq);
    for (const v of approveVotes(res)) {
      if (v.voter.type === "ai_agent")
        findings.push({
          seq: res.seq,
          actionId: res.actionId,
          message: `approval by AI agent ${v.voter.id} was counted`,
        });
    }
  }
  for (const vote of ofType(records, T.voteCast)) {
    const voter = actorOf(at(vote.data, "vote", "voter"));
    if (voter?.type === "ai_agent" && at(vote.data, "vote", "counted") === true) {
      findings.push({
        seq: vote.seq,
        actionId: vote.actionId,
        message: `vote by AI agent ${voter.id} was counted`,
      });
    }
    if (voter?.type === "ai_agent") evidence.push(vote.seq);
  }
  if (resolutions.length === 0)
    return result("ai-not-approver", "no-evidence", "no approval was resolved in the period", []);
  return findings.length === 0
    ? result(
        "ai-not-approver",
        "pass",
        `${resolutions.length} resolved approval(s); no AI agent's approval was counted`,
        evidence,
      )
    : result("ai-not-approver", "fail", `${findings.length} AI approval(s) counted`, evidence, findings);
}

/**
 * Every action an AI agent asked for is in the trail with its model and rationale, and every
 * action an AI agent executed has the decision it ran under in the trail.
 */
export function aiActionsTraced({ records }: CheckInput): CheckResult {
  const evidence: number[] = [];
  const findings: Finding[] = [];
  const decided = new Set(ofType(records, T.decision).map((d) => d.actionId || str(d.data.actionId)));
  let actions = 0;
  for (const r of ofType(records, T.requested)) {
    const ai = obj(r.data.ai);
    const byAi = r.actor.type === "ai_agent" || ai !== undefined;
    if (!byAi) continue;
    actions += 1;
    evidence.push(r.seq);
    const missing = [
      ...(str(ai?.model) === "" ? ["model"] : []),
      ...(str(ai?.rationale) === "" ? ["rationale"] : []),
    ];
    if (missing.length > 0)
      findings.push({
        seq: r.seq,
        actionId: r.actionId,
        message: `AI action recorded without ${missing.join(" and ")}`,
      });
  }
  for (const r of ofType(records, T.executed)) {
    if (r.actor.type !== "ai_agent" && obj(r.data.ai) === undefined) continue;
    evidence.push(r.seq);
    const id = r.actionId || str(r.data.actionId);
    if (!decided.has(id))
      findings.push({
        seq: r.seq,
        actionId: id,
        message: "AI action executed with no decision in the trail",
      });
  }
  if (actions === 0 && evidence.length === 0)
    return result("ai-actions-traced", "no-evidence", "no AI agent acted in the period", []);
  return findings.length === 0
    ? result(
        "ai-actions-traced",
        "pass",
        `${actions} AI action request(s), each with model and rationale; every AI execution has its decision`,
        evidence,
      )
    : result(
        "ai-actions-traced",
        "fail",
        `${findings.length} AI action(s) not fully traced`,
        evidence,
        findings,
      );
}

/** Every decision names the policy bundle (governance-as-code version) and the rules it matched. */
export function decisionsStamped({ records }: CheckInput): CheckResult {
  const decisions = ofType(records, T.decision);
  if (decisions.length === 0)
    return result("decisions-stamped", "no-evidence", "no policy decision in the period", []);
  const findings = decisions
    .filter((d) => str(d.data.bundleDigest) === "" && d.bundleDigest === "")
    .map((d) => ({ seq: d.seq, actionId: d.actionId, message: "decision without the policy bundle digest" }));
  const digests = new Set(
    decisions.map((d) => str(d.data.bundleDigest) || d.bundleDigest).filter((x) => x !== ""),
  );
  return findings.length === 0
    ? result(
        "decisions-stamped",
        "pass",
        `${decisions.length} decision(s), each stamped with its policy bundle (${digests.size} bundle version(s))`,
        decisions.map((d) => d.seq),
      )
    : result(
        "decisions-stamped",
        "fail",
        `${findings.length} of ${decisions.length} decision(s) not stamped with a bundle`,
        decisions.map((d) => d.seq),
        findings,
      );
}

function ackId(r: EvidenceRecord): { id: string; consumer: string; epoch: number } {
  const ack = obj(r.data.acknowledgement) ?? {};
  return {
    id: str(ack.instanceId),
    consumer: actorOf(ack.consumer)?.id ?? r.actor.id,
    epoch: num(ack.epoch),
  };
}

/**
 * The emergency stop was exercised in the period and every consumer acknowledged each stop; a stop
 * that was lifted was lifted by two people with a post-incident review reference.
 */
export function emergencyStopExercised({ records, stopConsumers }: CheckInput): CheckResult {
  const activations = ofType(records, T.stopActivated);
  if (activations.length === 0)
    return result(
      "emergency-stop-exercised",
      "fail",
      "the emergency stop was not exercised in the period (no warden.killswitch.activated)",
      [],
    );
  const acks = ofType(records, T.stopAcknowledged).map((r) => ({ r, ...ackId(r) }));
  const expected =
    stopConsumers.length > 0
      ? [...stopConsumers]
      : [...new Set(acks.filter((a) => a.epoch > 0).map((a) => a.id))];
  const evidence: number[] = [];
  const findings: Finding[] = [];
  for (const act of activations) {
    const epoch = num(at(act.data, "state", "epoch"));
    evidence.push(act.seq);
    const forEpoch = acks.filter((a) => a.epoch === epoch);
    evidence.push(...forEpoch.map((a) => a.r.seq));
    const missing = expected.filter((c) => !forEpoch.some((a) => a.id === c || a.consumer === c));
    if (forEpoch.length === 0 || missing.length > 0)
      findings.push({
        seq: act.seq,
        message:
          forEpoch.length === 0
            ? `stop epoch ${epoch}: acknowledged by no consumer`
            : `stop epoch ${epoch}: not acknowledged by ${missing.join(", ")}`,
      });
  }
  for (const d of ofType(records, T.stopDeactivated)) {
    evidence.push(d.seq);
    const approvers = new Set(arr(d.data.approvals).map((a) => actorOf(obj(a)?.approver)?.id ?? ""));
    approvers.delete("");
    if (approvers.size < 2 || str(d.data.reviewRef) === "")
      findings.push({
        seq: d.seq,
        message: `stop epoch ${num(d.data.epoch)} lifted by ${approvers.size} person(s)${str(d.data.reviewRef) === "" ? " without a review reference" : ""}`,
      });
  }
  return findings.length === 0
    ? result(
        "emergency-stop-exercised",
        "pass",
        `${activations.length} stop(s) in the period, each acknowledged by every consumer (${expected.join(", ")})`,
        evidence,
      )
    : result("emergency-stop-exercised", "fail", `${findings.length} stop problem(s)`, evidence, findings);
}

/**
 * Each rollback in the period was verified (result succeeded) and its incident review was due
 * within 48 h and not reported overdue. That the review happened is a manual record.
 */
export function rollbacksVerifiedReviewed({ records }: CheckInput): CheckResult {
  const completed = ofType(records, T.rollbackCompleted);
  if (completed.length === 0)
    return result("rollbacks-verified-reviewed", "no-evidence", "no rollback in the period", []);
  const incidents = ofType(records, T.incidentOpened);
  const overdue = ofType(records, T.reviewOverdue);
  const evidence: number[] = [];
  const findings: Finding[] = [];
  for (const c of completed) {
    evidence.push(c.seq);
    const deployment = str(c.data.deploymentId);
    if (str(c.data.result) !== "ROLLBACK_RESULT_SUCCEEDED")
      findings.push({
        seq: c.seq,
        message: `rollback of ${deployment} not verified: ${str(c.data.result) || "no result"}`,
      });
    const incident = incidents.find((i) => str(i.data.deploymentId) === deployment);
    if (incident === undefined) {
      findings.push({ seq: c.seq, message: `rollback of ${deployment}: no incident opened for its review` });
      continue;
    }
    evidence.push(incident.seq);
    const opened = Date.parse(str(incident.data.openedAt) || incident.time);
    const due = Date.parse(str(incident.data.reviewDueAt));
    if (Number.isNaN(due) || due - opened > REVIEW_WINDOW_MS)
      findings.push({
        seq: incident.seq,
        message: `incident ${str(incident.data.incidentId)}: review not due within 48 h`,
      });
    const late = overdue.find((o) => str(o.data.incidentId) === str(incident.data.incidentId));
    if (late !== undefined) {
      evidence.push(late.seq);
      findings.push({ seq: late.seq, message: `incident ${str(incident.data.incidentId)}: review overdue` });
    }
  }
  return findings.length === 0
    ? result(
        "rollbacks-verified-reviewed",
        "pass",
        `${completed.length} rollback(s), each verified, with a review due within 48 h and none overdue`,
        evidence,
      )
    : result(
        "rollbacks-verified-reviewed",
        "fail",
        `${findings.length} rollback problem(s)`,
        evidence,
        findings,
      );
}

/** The hash chain and its signed checkpoints verify over the period's records. */
export function chainVerified({ records, verification }: CheckInput): CheckResult {
  if (records.length === 0 || verification === undefined)
    return result("chain-verified", "no-evidence", "no record in the period", []);
  const v = verification;
  if (!v.ok)
    return result(
      "chain-verified",
      "fail",
      `the chain does not verify: first bad seq ${v.firstBadSeq}`,
      [],
      [{ seq: v.firstBadSeq, message: `${v.problem}: ${v.detail}` }],
    );
  const checkpoints =
    v.checkpointsChecked > 0
      ? `${v.checkpointsChecked} signed checkpoint(s) from the ${v.checkpointSource || "audit"}`
      : "no signed checkpoint in the range yet";
  return result(
    "chain-verified",
    "pass",
    `seq ${v.fromSeq}..${v.toSeq}: ${v.recordsChecked} record(s) verify; ${checkpoints}`,
    [v.fromSeq, v.toSeq],
  );
}

/** Production records are kept 7 years (retention class and retain-until date). */
export function retentionClasses({ records }: CheckInput): CheckResult {
  const production = records.filter((r) => r.environment === "production");
  if (production.length === 0)
    return result("retention-classes", "no-evidence", "no production record in the period", []);
  const findings: Finding[] = [];
  for (const r of production) {
    const until = Date.parse(r.retainUntil);
    const time = Date.parse(r.time);
    if (
      r.retentionClass !== "production-7y" ||
      Number.isNaN(until) ||
      until - time < SEVEN_YEARS_MS - 2 * 86_400_000
    )
      findings.push({
        seq: r.seq,
        message: `retention ${r.retentionClass || "unset"} until ${r.retainUntil || "unset"}`,
      });
  }
  return findings.length === 0
    ? result(
        "retention-classes",
        "pass",
        `${production.length} production record(s), each kept 7 years (production-7y)`,
        production.map((r) => r.seq),
      )
    : result(
        "retention-classes",
        "fail",
        `${findings.length} production record(s) kept less than 7 years`,
        production.map((r) => r.seq),
        findings,
      );
}

/** Reads of the trail were role-scoped and are themselves recorded; refused callers are recorded. */
export function accessAudited({ records }: CheckInput): CheckResult {
  const reads = ofType(records, T.auditQueried);
  const refusals = ofType(records, T.accessRefused);
  if (reads.length === 0)
    return result(
      "access-audited",
      "no-evidence",
      "no read of the trail in the period",
      refusals.map((r) => r.seq),
    );
  const findings = reads
    .filter((r) => str(at(r.data, "scope", "kind")) === "" || r.actor.id === "")
    .map((r) => ({ seq: r.seq, message: "read of the trail recorded without its reader or scope" }));
  const scopes = new Set(reads.map((r) => str(at(r.data, "scope", "kind"))));
  return findings.length === 0
    ? result(
        "access-audited",
        "pass",
        `${reads.length} read(s) of the trail recorded with reader and scope (${[...scopes].join(", ")}); ${refusals.length} refused caller(s) recorded`,
        [...reads, ...refusals].map((r) => r.seq),
      )
    : result(
        "access-audited",
        "fail",
        `${findings.length} read(s) recorded without scope`,
        reads.map((r) => r.seq),
        findings,
      );
}

export const CHECKS: Readonly<Record<CheckId, (input: CheckInput) => CheckResult>> = {
  "change-approvals": changeApprovals,
  "segregation-of-duties": segregationOfDuties,
  "ai-not-approver": aiNotApprover,
  "ai-actions-traced": aiActionsTraced,
  "decisions-stamped": decisionsStamped,
  "emergency-stop-exercised": emergencyStopExercised,
  "rollbacks-verified-reviewed": rollbacksVerifiedReviewed,
  "chain-verified": chainVerified,
  "retention-classes": retentionClasses,
  "access-audited": accessAudited,
};
