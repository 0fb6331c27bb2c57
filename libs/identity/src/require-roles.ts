import { PermissionError } from "./auth-error.ts";
import type { Principal } from "./principal.ts";

/** Throws PermissionError naming every role in `roles` the principal lacks (all are required). */
export function requireRoles(principal: Principal, roles: string | readonly string[]): void {
  const required = typeof roles === "string" ? [roles] : roles;
  const missing = required.filter((role) => !principal.roles.includes(role));
  if (missing.length > 0) {
    throw new PermissionError(principal.id, missing, principal);
  }
}

/** Whether the principal holds every role in `roles`. */
export function hasRoles(principal: Principal, roles: string | readonly string[]): boolean {
  const required = typeof roles === "string" ? [roles] : roles;
  return required.every((role) => principal.roles.includes(role));
}
