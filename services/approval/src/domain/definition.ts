// The workflow's definition from the policy's approval requirement (a decision's `approval` field,
// compiled from the bundle's workflows.yaml). Structural types: the domain imports no other package.
import type { ApprovalDefinition } from "./approval-types.ts";

/** The fields of @warden/policy's ApprovalRequirement the approval workflow uses. */
export interface ApprovalRequirementLike {
  readonly workflow: string;
  readonly minApprovers: number;
  readonly requiredRoles: readonly string[];
  readonly eligibleRoles: readonly string[];
  readonly timeoutSeconds: number;
  readonly escalation: readonly { readonly role: string; readonly afterSeconds: number }[];
  readonly aiMayRecommend: boolean;
  readonly notify: readonly string[];
}

/**
 * workflows.yaml: `timeout` is how long each escalation level waits; `escalation[i].after` is when
 * level i+1 is engaged, counted from the request. Level 0 waits `timeout`; level i+1 waits until
 * the next step's `after` (the gap between consecutive steps), the last level waits `timeout`.
 */
export function definitionFromRequirement(req: ApprovalRequirementLike): ApprovalDefinition {
  const steps = req.escalation;
  return {
    workflow: req.workflow,
    minApprovers: req.minApprovers,
    eligibleRoles: [...req.eligibleRoles],
    requiredRoles: [...req.requiredRoles],
    timeoutSeconds: steps[0]?.afterSeconds ?? req.timeoutSeconds,
    escalation: steps.map((step, i) => {
      const next = steps[i + 1];
      return {
        roles: [step.role],
        timeoutSeconds:
          next === undefined ? req.timeoutSeconds : Math.max(1, next.afterSeconds - step.afterSeconds),
      };
    }),
    aiMayRecommend: req.aiMayRecommend,
    notify: [...req.notify],
  };
}
