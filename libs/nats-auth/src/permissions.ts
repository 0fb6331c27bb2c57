// Subject permissions per identity, generated from the topology (so a namespace moves them all) and
// the identity. Deny wins over allow in nats-server; everything not allowed is refused.
import { topology as makeTopology } from "@warden/messaging";
import type { Topology } from "@warden/messaging";
import type { NatsIdentity, WardenService } from "./identity.ts";

export type SubjectPermissions = {
  pub: { allow: string[]; deny: string[] };
  sub: { allow: string[]; deny: string[] };
  /** Allow replying to the requests received (once each, within `ttl` nanoseconds): RPC responders. */
  resp?: { max: number; ttl: number };
};

/**
 * The inbox prefix of an agent's connection (nats.js `inboxPrefix`): its replies — RPC answers,
 * JetStream acks, KV watch deliveries — arrive under it, and only it may subscribe there.
 */
export function agentInboxPrefix(agentId: string, namespace = ""): string {
  return makeTopology(namespace).agentInbox(agentId);
}

/** Every verdict about one agent, whatever its outcome (`warden.action.verdict.*.<id>`). */
export function verdictsOf(agentId: string, namespace = ""): string {
  const parts = makeTopology(namespace).subjects.actionVerdict("_", agentId).split(".");
  parts[parts.length - 2] = "*";
  return parts.join(".");
}

export type PermissionOptions = {
  /**
   * An agent that reports deployments and their signals to the rollback monitor (the release
   * pipeline): it may publish `warden.deploy.>` and `warden.signal.>`. Ignored for other identities.
   */
  reportsDeployments?: boolean;
};

/** The default inbox of services and admins; no agent may subscribe there. */
const SERVICE_INBOX = "_INBOX.>";

function kvSubjects(t: Topology) {
  const bucket = t.kv.killswitch;
  const stream = `KV_${bucket}`;
  return {
    stream,
    /** Writes: put / delete / purge of a key are publishes here. */
    write: `$KV.${bucket}.>`,
    /** What a read-only watcher needs: bucket info, gets, an ordered consumer's life cycle, flow control. */
    read: [
      "$JS.API.INFO",
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.API.DIRECT.GET.${stream}`,
      `$JS.API.DIRECT.GET.${stream}.>`,
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.INFO.${stream}.>`,
      `$JS.API.CONSUMER.DELETE.${stream}.>`,
      `$JS.FC.${stream}.>`,
    ],
    /** Destructive stream operations on the bucket (purge, delete, rewrite its config). */
    destroy: [
      `$JS.API.STREAM.PURGE.${stream}`,
      `$JS.API.STREAM.DELETE.${stream}`,
      `$JS.API.STREAM.MSG.DELETE.${stream}`,
      `$JS.API.STREAM.UPDATE.${stream}`,
    ],
  };
}

/** What each service publishes beyond the JetStream API (DESIGN.md §3, issue #11). */
function servicePublishes(service: WardenService, t: Topology): string[] {
  const s = t.subjects;
  // `warden.<domain>.>` for the domains topology() has no catch-all for.
  const domain = (name: string): string => `${s.allEvents.slice(0, -1)}${name}.>`;
  // Every service reports the callers it refuses (libs/service) and what it cannot read (invalid.*).
  const common = [s.accessRefused(service), s.invalidAll];
  switch (service) {
    case "policy":
      return [...common, s.decisionAll, domain("policy"), s.killswitchAcknowledgedAll];
    case "audit":
      return [...common, s.auditAll, s.auditQueried, s.auditStoreBehind, s.complianceReportRecorded];
    case "kill-switch":
      return [
        ...common,
        s.killswitchAll,
        kvSubjects(t).write,
        `$KV.${t.kv.killswitchReplays}.>`,
        // Re-enabling a disabled agent is its own action request, used once its approval is granted.
        s.actionRequested("kill-switch"),
        t.rpc.approvalConsume("kill-switch"),
      ];
    case "approval":
      return [
        ...common,
        s.approvalAll,
        domain("action.verdict"),
        s.killswitchAcknowledgedAll,
        `$KV.${t.kv.approvalLinks}.>`,
      ];
    case "rollback-monitor":
      return [
        ...common,
        domain("rollback"),
        domain("escalation"),
        domain("incident"),
        s.killswitchAcknowledgedAll,
        // Inconclusive analyses and failed rollbacks go to humans as its own action requests.
        s.actionRequested("rollback-monitor"),
        // Error rate and p99 latency polled from Prometheus (ROLLBACK_PROMETHEUS_URL): no other signal.
        domain("signal.error_rate"),
        domain("signal.latency"),
      ];
  }
}

/** The RPC subjects each service serves (it subscribes there, queue group, and answers). */
function serviceServes(service: WardenService, t: Topology): string[] {
  switch (service) {
    case "policy":
      return [t.rpc.policyEvaluateAll];
    case "approval":
      return [t.rpc.approvalConsumeAll, t.rpc.approvalVerdictAll];
    default:
      return [];
  }
}

/**
 * The permissions of one identity in one installation (`namespace`, as WARDEN_NAMESPACE).
 *
 * - an agent publishes only its own action requests, executions and kill-switch acknowledgements,
 *   requests only its own policy evaluation, approval consumption and verdict read-back, subscribes only to its own
 *   verdicts and its own inbox, and reads (never writes) the kill-switch bucket;
 * - a service publishes its own events (policy: decisions; kill-switch: the stop state and
 *   activated / deactivated; audit: wardenaudit.>; approval: approvals and verdicts;
 *   rollback-monitor: rollback / escalation / incident), uses the JetStream API but may not purge or
 *   delete streams, and only the kill-switch may write the bucket;
 * - an agent issued with `reportsDeployments` (a release pipeline) may also publish deployment
 *   started / completed and signals (`warden.deploy.>`, `warden.signal.>`): what the rollback
 *   monitor analyses; those subjects are per deployment, not per agent, so the grant is explicit;
 * - an admin (test-admin) may do anything.
 */
export function permissionsFor(
  identity: NatsIdentity,
  namespace = "",
  options: PermissionOptions = {},
): SubjectPermissions {
  const t = makeTopology(namespace);
  const kv = kvSubjects(t);
  switch (identity.kind) {
    case "admin":
      return { pub: { allow: [">"], deny: [] }, sub: { allow: [">"], deny: [] } };
    case "agent": {
      const id = identity.agentId;
      const inbox = `${agentInboxPrefix(id, namespace)}.>`;
      return {
        pub: {
          allow: [
            t.subjects.actionRequested(id),
            t.subjects.actionExecuted(id),
            t.subjects.killswitchAcknowledged(id),
            t.rpc.policyEvaluate(id),
            t.rpc.approvalConsume(id),
            t.rpc.approvalVerdict(id),
            ...(options.reportsDeployments === true ? [t.subjects.deployAll, t.subjects.signalAll] : []),
            ...kv.read,
          ],
          deny: [kv.write, ...kv.destroy],
        },
        sub: {
          allow: [verdictsOf(id, namespace), inbox],
          deny: [],
        },
      };
    }
    case "service": {
      const { service } = identity;
      const ownStreams = [t.streams.events, t.streams.audit, kv.stream];
      return {
        pub: {
          allow: [
            ...servicePublishes(service, t),
            "$JS.API.>",
            ...ownStreams.map((stream) => `$JS.ACK.${stream}.>`),
            ...ownStreams.map((stream) => `$JS.FC.${stream}.>`),
          ],
          deny: [
            "$JS.API.STREAM.DELETE.>",
            "$JS.API.STREAM.PURGE.>",
            "$JS.API.STREAM.MSG.DELETE.>",
            ...(service === "kill-switch" ? [] : [kv.write, `$JS.API.STREAM.UPDATE.${kv.stream}`]),
          ],
        },
        sub: {
          allow: [SERVICE_INBOX, ...serviceServes(service, t), t.subjects.allEvents, t.subjects.auditAll],
          deny: [],
        },
        ...(serviceServes(service, t).length > 0 && { resp: { max: 1, ttl: 60_000_000_000 } }),
      };
    }
  }
}
