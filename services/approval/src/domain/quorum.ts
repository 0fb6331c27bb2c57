// Quorum: N distinct approvers, and each required role covered by a DIFFERENT approver (one person
// holding two required roles covers one of them). Required roles are matched to approvers by a
// maximum bipartite matching (augmenting paths; a handful of roles and people).

export interface Approver {
  readonly id: string;
  /** The roles this approver brings: their own, plus those delegated to them. */
  readonly roles: readonly string[];
}

export interface Tally {
  /** Distinct counted approvers. */
  readonly approvals: number;
  readonly required: number;
  /** Required roles no distinct approver covers yet (in the order of the definition). */
  readonly missingRoles: string[];
  readonly reached: boolean;
}

export function tallyApprovals(
  approvers: readonly Approver[],
  minApprovers: number,
  requiredRoles: readonly string[],
): Tally {
  const people = new Map<string, Set<string>>();
  for (const a of approvers) {
    const roles = people.get(a.id) ?? new Set<string>();
    for (const r of a.roles) roles.add(r);
    people.set(a.id, roles);
  }
  const roles = [...new Set(requiredRoles)];
  const matchedPerson = new Map<string, string>(); // person id -> role
  const matchedRole = new Map<string, string>(); // role -> person id
  const ids = [...people.keys()];

  const augment = (role: string, seen: Set<string>): boolean => {
    for (const id of ids) {
      if (seen.has(id) || !(people.get(id)?.has(role) ?? false)) continue;
      seen.add(id);
      const other = matchedPerson.get(id);
      if (other === undefined || augment(other, seen)) {
        matchedPerson.set(id, role);
        matchedRole.set(role, id);
        return true;
      }
    }
    return false;
  };
  for (const role of roles) augment(role, new Set());

  const missingRoles = roles.filter((r) => !matchedRole.has(r));
  const required = Math.max(minApprovers, roles.length, 1);
  return {
    approvals: people.size,
    required,
    missingRoles,
    reached: people.size >= required && missingRoles.length === 0,
  };
}
