// The two-person rule for lifting a stop (DESIGN.md §6): two distinct people, one holding
// engineering-lead and one security-lead, each giving the same post-incident review reference, root
// cause and prevention measures. The first request is recorded as pending; the second completes it.
import { FailedPreconditionError, InvalidArgumentError, PermissionDeniedError } from "@warden/grpc/errors";
import type { FieldViolation } from "@warden/grpc/errors";
import type { Approval, Person } from "./stop-record.ts";
import type { Scope } from "./scope.ts";
import { describeScope } from "./scope.ts";

export const DEACTIVATION_ROLES = ["engineering-lead", "security-lead"] as const;
export type DeactivationRole = (typeof DEACTIVATION_ROLES)[number];

export type PostIncident = {
  readonly reviewRef: string;
  readonly rootCause: string;
  readonly prevention: string;
};

export type DeactivationRequest = PostIncident & {
  /** The epoch the caller saw. */
  readonly epoch: number;
  /** The scopes to lift (sorted descriptions); every active scope when the caller named none. */
  readonly scopes: readonly Scope[];
  readonly reEnableAgents: readonly string[];
};

export type PendingDeactivation = PostIncident & {
  readonly epoch: number;
  readonly scopes: readonly Scope[];
  readonly reEnableAgents: readonly string[];
  /** Each approval with the role it counts for. */
  readonly approvals: readonly (Approval & { readonly role: DeactivationRole })[];
  /** Set when both approvals are in: the epoch the lift is written with (then it is only rolled forward). */
  readonly liftEpoch?: number | undefined;
};

/** Every missing post-incident field, named. */
export function checkPostIncident(input: {
  reviewRef?: string | undefined;
  rootCause?: string | undefined;
  prevention?: string | undefined;
}): PostIncident {
  const missing: FieldViolation[] = [];
  const need = (field: string, value: string | undefined, what: string) => {
    if (value === undefined || value.trim() === "") missing.push({ field, reason: `required: ${what}` });
  };
  need("reviewRef", input.reviewRef, "the post-incident review reference, e.g. INC-2026-017");
  need("rootCause", input.rootCause, "the root cause");
  need("prevention", input.prevention, "the prevention measures");
  const [first, ...rest] = missing;
  if (first !== undefined) throw new InvalidArgumentError([first, ...rest]);
  return {
    reviewRef: (input.reviewRef ?? "").trim(),
    rootCause: (input.rootCause ?? "").trim(),
    prevention: (input.prevention ?? "").trim(),
  };
}

/** The deactivation roles the person holds. */
export function deactivationRolesOf(person: Person): DeactivationRole[] {
  return DEACTIVATION_ROLES.filter((role) => person.roles.includes(role));
}

export function missingRoles(pending: PendingDeactivation | undefined): DeactivationRole[] {
  const have = new Set(pending?.approvals.map((a) => a.role) ?? []);
  return DEACTIVATION_ROLES.filter((role) => !have.has(role));
}

const scopeList = (scopes: readonly Scope[]) => scopes.map(describeScope).sort().join(",");

/**
 * Adds the person's approval. Returns the new pending record and whether both roles are now held
 * by distinct people. Throws with a message that says exactly what is wrong or missing.
 */
export function approveDeactivation(
  pending: PendingDeactivation | undefined,
  request: DeactivationRequest,
  person: Person,
  at: Date,
): { pending: PendingDeactivation; complete: boolean } {
  if (person.type !== "human") {
    throw new PermissionDeniedError(
      `only people may lift an emergency stop; ${person.id} is a ${person.type}`,
    );
  }
  const held = deactivationRolesOf(person);
  if (held.length === 0) {
    throw new PermissionDeniedError(
      `lifting a stop needs the role engineering-lead or security-lead; ${person.id} holds neither`,
    );
  }
  if (pending !== undefined) {
    if (pending.approvals.some((a) => a.approver.id === person.id)) {
      const still = missingRoles(pending).join(" or ");
      throw new PermissionDeniedError(
        `${person.id} already approved this deactivation; a second, different person holding ${still} must approve`,
      );
    }
    const differs: string[] = [];
    if (pending.reviewRef !== request.reviewRef) differs.push(`reviewRef (pending: ${pending.reviewRef})`);
    if (pending.rootCause !== request.rootCause) differs.push("rootCause");
    if (pending.prevention !== request.prevention) differs.push("prevention");
    if (scopeList(pending.scopes) !== scopeList(request.scopes)) {
      differs.push(`scopes (pending: ${scopeList(pending.scopes)})`);
    }
    if (differs.length > 0) {
      throw new FailedPreconditionError(
        `the pending deactivation approved by ${pending.approvals.map((a) => a.approver.id).join(", ")} differs in ${differs.join(", ")}; approve the same post-incident record`,
      );
    }
  }
  const missing = missingRoles(pending);
  const role = held.find((r) => missing.includes(r));
  if (role === undefined) {
    throw new PermissionDeniedError(
      `${person.id} holds only ${held.join(", ")}, which is already approved; the second approval needs a person holding ${missing.join(" or ")}`,
    );
  }
  const approvals = [...(pending?.approvals ?? []), { approver: person, at: at.toISOString(), role }];
  const next: PendingDeactivation = {
    epoch: request.epoch,
    scopes: request.scopes,
    reEnableAgents: [...new Set([...(pending?.reEnableAgents ?? []), ...request.reEnableAgents])].sort(),
    reviewRef: request.reviewRef,
    rootCause: request.rootCause,
    prevention: request.prevention,
    approvals,
  };
  return { pending: next, complete: missingRoles(next).length === 0 };
}
