// Who may call what on PolicyService (ADR 0009). "Who asks is who is decided for": an agent or
// service token whose subject is the request's agent gets a real decision; anyone else needs a
// dry-run role that covers that agent and gets a dry run. Explain is always a dry run (recorded,
// never counted); GetBundle is open to agent and service tokens. Refusals are PermissionError
// (gRPC PERMISSION_DENIED) naming the roles that would have allowed the call.
import { hasRoles, PermissionError } from "@warden/identity";
import type { Principal } from "@warden/identity";
import type { Caller } from "../../app/ports.ts";

export interface PolicyAccessConfig {
  /** `role` (any agent) or `role:agent-id` (that agent only): may evaluate on an agent's behalf. */
  readonly dryRunRoles: readonly string[];
  /** One of these lets a caller explain a request that is not its own. */
  readonly explainRoles: readonly string[];
  /** One of these lets a human read the active bundle; agent and service tokens may read it. */
  readonly bundleReadRoles: readonly string[];
}

export interface PolicyAccess {
  /** The dry-run caller when someone other than the agent asks; undefined for the agent itself. */
  evaluate(principal: Principal, agentId: string): Caller | undefined;
  /** The caller the explanation's dry run names (the agent itself needs no role). */
  explain(principal: Principal, agentId: string): Caller;
  getBundle(principal: Principal): void;
}

/** Whether the principal is the agent itself (its own agent or service token). */
export function isAgentItself(principal: Principal, agentId: string): boolean {
  return principal.type !== "human" && principal.id === agentId;
}

function callerOf(principal: Principal): Caller {
  return { type: principal.type, id: principal.id, roles: [...principal.roles] };
}

function requireOneOf(principal: Principal, roles: readonly string[]): void {
  if (roles.some((role) => hasRoles(principal, role))) return;
  // No role configured: nobody else may; name that rather than an empty list.
  throw new PermissionError(
    principal.id,
    roles.length === 0 ? ["(none configured)"] : [roles.join(" or ")],
    principal,
  );
}

export function createPolicyAccess(config: PolicyAccessConfig): PolicyAccess {
  // `role:agent-id`: a role has no colon, an agent id may (bundle ids allow `_ . : @ / -`).
  const grants = config.dryRunRoles.map((entry) => {
    const colon = entry.indexOf(":");
    return colon < 0
      ? { role: entry, agent: undefined }
      : { role: entry.slice(0, colon), agent: entry.slice(colon + 1) };
  });
  return {
    evaluate(principal, agentId) {
      if (isAgentItself(principal, agentId)) return undefined;
      const covering = grants.filter((g) => g.agent === undefined || g.agent === agentId).map((g) => g.role);
      requireOneOf(principal, covering);
      return callerOf(principal);
    },
    explain(principal, agentId) {
      if (!isAgentItself(principal, agentId)) requireOneOf(principal, config.explainRoles);
      return callerOf(principal);
    },
    getBundle(principal) {
      if (principal.type !== "human") return;
      requireOneOf(principal, config.bundleReadRoles);
    },
  };
}
