// Every NATS subject, stream and bucket name Warden uses, in one place (DESIGN.md §3). Services
// take a Topology and never write subject literals.
//
// Scheme: warden.<domain>.<event>[.<key>…] for domain events (all captured by WARDEN_EVENTS),
// wardenaudit.> for the audit's committed output (WARDEN_AUDIT; its own root because stream subjects
// may not overlap and the audit must never record its own output), and wardenrpc.> for synchronous
// request-reply, outside every stream: a stream capturing a request subject answers the requester
// with its PubAck before the real responder does (measured, ENVIRONMENT.md).
//
// A namespace (default none) prefixes every name, so several isolated Warden installations — or
// several test files — can share one NATS server: streams may not overlap, so two WARDEN_EVENTS on
// `warden.>` cannot coexist, but `t1.warden.>` and `t2.warden.>` can.

export const INVALID_REASONS = ["malformed_json", "schema", "unknown_type", "oversized", "identity"] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

/** A subject token must not contain separators, wildcards or whitespace. */
export function token(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_-]/g, "_");
  return cleaned.length === 0 ? "_" : cleaned.slice(0, 128);
}

export function topology(namespace = "") {
  if (namespace !== "" && !/^[a-z0-9_-]{1,32}$/.test(namespace)) {
    throw new Error(`namespace "${namespace}" must be 1-32 chars of [a-z0-9_-]`);
  }
  const p = namespace === "" ? "" : `${namespace}.`;
  const P = namespace === "" ? "" : `${namespace.toUpperCase().replace(/-/g, "_")}_`;
  const ev = `${p}warden`;
  const au = `${p}wardenaudit`;
  const rpc = `${p}wardenrpc`;
  return {
    namespace,
    streams: { events: `${P}WARDEN_EVENTS`, audit: `${P}WARDEN_AUDIT` },
    kv: {
      killswitch: `${P}warden_killswitch`,
      /** Used signed approval links (single use): one key per link id, each with the link's own TTL. */
      approvalLinks: `${P}warden_approval_links`,
      /** Signed chat commands already used (replay guard shared by every kill-switch replica). */
      killswitchReplays: `${P}warden_killswitch_replays`,
    },
    subjects: {
      /** Agents publish action requests here; the last token is the agent id (its identity). */
      actionRequested: (agentId: string) => `${ev}.action.requested.${token(agentId)}`,
      actionRequestedAll: `${ev}.action.requested.>`,
      /** The bare subject, naming no agent: consumed by policy only to report it (warden.invalid.identity). */
      actionRequestedUnidentified: `${ev}.action.requested`,
      /** The agent id from a subject made by actionRequested, or undefined. */
      agentOfActionRequested: (subject: string): string | undefined => {
        const prefix = `${ev}.action.requested.`;
        const rest = subject.startsWith(prefix) ? subject.slice(prefix.length) : "";
        return rest === "" || rest.includes(".") ? undefined : rest;
      },
      /** The agent reports how a guarded action ended (the SDK's `guard`). */
      actionExecuted: (agentId: string) => `${ev}.action.executed.${token(agentId)}`,
      actionExecutedAll: `${ev}.action.executed.>`,
      actionVerdict: (outcome: string, agentId: string) =>
        `${ev}.action.verdict.${token(outcome)}.${token(agentId)}`,
      /** Every verdict for one agent, whatever its outcome (what the SDK subscribes to). */
      actionVerdictsOf: (agentId: string) => `${ev}.action.verdict.*.${token(agentId)}`,

      decision: (outcome: string, agentId: string) => `${ev}.decision.${token(outcome)}.${token(agentId)}`,
      /**
       * A dry run (someone other than the agent asked, ADR 0009): outside `decisionsOf` and
       * `decisionApprovalRequired`, so it is never counted toward usage nor taken for an approval.
       */
      decisionDryRun: (outcome: string, agentId: string) =>
        `${ev}.decision.dry_run.${token(outcome)}.${token(agentId)}`,
      decisionAll: `${ev}.decision.>`,
      /** Every decision about one agent, whatever its outcome (a consumer filter). */
      decisionsOf: (agentId: string) => `${ev}.decision.*.${token(agentId)}`,
      decisionApprovalRequired: `${ev}.decision.approval_required.>`,

      policyBundle: (event: "activated" | "rejected") => `${ev}.policy.bundle.${event}`,

      approval: (event: string, actionId: string) => `${ev}.approval.${token(event)}.${token(actionId)}`,
      approvalAll: `${ev}.approval.>`,

      killswitch: (event: string) => `${ev}.killswitch.${token(event)}`,
      killswitchAll: `${ev}.killswitch.>`,
      /** A consumer confirms the epoch it enforces; the last token is its instance id. */
      killswitchAcknowledged: (instanceId: string) => `${ev}.killswitch.acknowledged.${token(instanceId)}`,
      killswitchAcknowledgedAll: `${ev}.killswitch.acknowledged.*`,

      deploy: (event: string, deploymentId: string) => `${ev}.deploy.${token(event)}.${token(deploymentId)}`,
      deployAll: `${ev}.deploy.>`,
      signal: (kind: string, deploymentId: string) => `${ev}.signal.${token(kind)}.${token(deploymentId)}`,
      signalAll: `${ev}.signal.>`,
      rollback: (event: string, deploymentId: string) =>
        `${ev}.rollback.${token(event)}.${token(deploymentId)}`,
      rollbackAll: `${ev}.rollback.>`,
      escalation: (event: string, key: string) => `${ev}.escalation.${token(event)}.${token(key)}`,
      escalationAll: `${ev}.escalation.>`,
      incident: (event: string, key: string) => `${ev}.incident.${token(event)}.${token(key)}`,
      incidentAll: `${ev}.incident.>`,

      /** A message that can never be valid, reported so the audit keeps it. */
      invalid: (reason: InvalidReason) => `${ev}.invalid.${reason}`,
      invalidAll: `${ev}.invalid.>`,

      /** A caller was refused at a service's door (bad credential or missing role); the last token is the service. */
      accessRefused: (service: string) => `${ev}.access.refused.${token(service)}`,
      accessRefusedAll: `${ev}.access.refused.*`,

      /** Someone read the audit trail (Query, Export, Verify, Tail): the reads are audited too. */
      auditQueried: `${ev}.audit.queried`,
      /** The audit store's head is behind the audit stream: the audit refuses to write. */
      auditStoreBehind: `${ev}.audit.store_behind`,

      /** A signed compliance report was recorded (AuditService.RecordReport; the audit publishes it). */
      complianceReportRecorded: `${ev}.compliance.report_recorded`,

      /** Everything in WARDEN_EVENTS. */
      allEvents: `${ev}.>`,

      auditRecorded: (eventType: string) => `${au}.recorded.${token(eventType)}`,
      auditRecordedAll: `${au}.recorded.>`,
      auditCheckpoint: `${au}.checkpoint`,
      auditAll: `${au}.>`,
    },
    /**
     * The reply-subject prefix of one agent's connection (nats.js `inboxPrefix`): a permission set
     * can give each agent its own inbox, so no agent reads another's replies.
     */
    /** An agent's inbox prefix: its replies arrive only here (NATS permissions grant it alone this prefix). */
    agentInbox: (agentId: string) =>
      namespace === "" ? `_INBOX_AGENT.${token(agentId)}` : `_INBOX_AGENT.${namespace}.${token(agentId)}`,
    rpc: {
      /** Synchronous decision for one agent; the last token is the agent id (its identity). */
      policyEvaluate: (agentId: string) => `${rpc}.policy.evaluate.${token(agentId)}`,
      policyEvaluateAll: `${rpc}.policy.evaluate.*`,
      agentOfPolicyEvaluate: (subject: string): string | undefined => {
        const prefix = `${rpc}.policy.evaluate.`;
        const rest = subject.startsWith(prefix) ? subject.slice(prefix.length) : "";
        return rest === "" || rest.includes(".") ? undefined : rest;
      },
      /** An agent consumes its approval, once, before it acts; the last token is the agent id. */
      approvalConsume: (agentId: string) => `${rpc}.approval.consume.${token(agentId)}`,
      approvalConsumeAll: `${rpc}.approval.consume.*`,
      agentOfApprovalConsume: (subject: string): string | undefined => {
        const prefix = `${rpc}.approval.consume.`;
        const rest = subject.startsWith(prefix) ? subject.slice(prefix.length) : "";
        return rest === "" || rest.includes(".") ? undefined : rest;
      },
      /**
       * An agent reads back the verdict of one of its own actions (a verdict missed while it was
       * cut off); the last token is the agent id.
       */
      approvalVerdict: (agentId: string) => `${rpc}.approval.verdict.${token(agentId)}`,
      approvalVerdictAll: `${rpc}.approval.verdict.*`,
      agentOfApprovalVerdict: (subject: string): string | undefined => {
        const prefix = `${rpc}.approval.verdict.`;
        const rest = subject.startsWith(prefix) ? subject.slice(prefix.length) : "";
        return rest === "" || rest.includes(".") ? undefined : rest;
      },
    },
  } as const;
}

export type Topology = ReturnType<typeof topology>;

/** The canonical names (no namespace). */
export const defaultTopology: Topology = topology();
