import type { ApproverDirectory } from "../../app/ports.ts";

/**
 * An ApproverDirectory over a fixed person → roles map (the APPROVAL_LINK_APPROVERS config key in
 * a small installation; a real directory — SCIM, LDAP — implements the same port).
 */
export function createStaticApproverDirectory(
  people: Readonly<Record<string, readonly string[]>>,
): ApproverDirectory {
  return {
    holdersOf: (roles) =>
      Object.entries(people)
        .filter(([, held]) => held.some((role) => roles.includes(role)))
        .map(([person]) => person),
    rolesOf: (personId) => [...(Object.hasOwn(people, personId) ? (people[personId] ?? []) : [])],
  };
}
