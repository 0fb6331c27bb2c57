import { describe, expect, it } from "vitest";
import { AuthError, PermissionError } from "./auth-error.ts";
import { bearerFrom } from "./bearer-from.ts";
import type { Principal } from "./principal.ts";
import { hasRoles, requireRoles } from "./require-roles.ts";

function authCode(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof AuthError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return "no error";
}

describe("bearerFrom", () => {
  it("returns the token of a Bearer header, any case, first of a list", () => {
    expect(bearerFrom("Bearer abc.def-ghi_jkl")).toBe("abc.def-ghi_jkl");
    expect(bearerFrom("bearer  abc")).toBe("abc");
    expect(bearerFrom(["Bearer first", "Bearer second"])).toBe("first");
  });

  it("reports a missing header", () => {
    for (const value of [undefined, null, "", "   ", []]) {
      expect(authCode(() => bearerFrom(value))).toBe(
        "missing: no bearer token: the authorization header is missing",
      );
    }
  });

  it("reports a malformed header", () => {
    expect(authCode(() => bearerFrom("Basic dXNlcjpwYXNz"))).toBe(
      "malformed: malformed authorization header: the scheme is not Bearer",
    );
    expect(authCode(() => bearerFrom("Bearer"))).toBe(
      "malformed: malformed authorization header: no token after Bearer",
    );
    expect(authCode(() => bearerFrom("Bearer a b"))).toMatch(/^malformed:/);
    expect(authCode(() => bearerFrom("abc.def.ghi"))).toMatch(/^malformed:/);
  });
});

describe("requireRoles", () => {
  const alice: Principal = { id: "alice", type: "human", roles: ["viewer", "approver"] };

  it("passes when every role is held", () => {
    expect(() => requireRoles(alice, ["approver"])).not.toThrow();
    expect(() => requireRoles(alice, "viewer")).not.toThrow();
    expect(() => requireRoles(alice, [])).not.toThrow();
    expect(hasRoles(alice, ["viewer", "approver"])).toBe(true);
  });

  it("throws PermissionError naming the missing role", () => {
    let caught: unknown;
    try {
      requireRoles(alice, ["approver", "kill_switch_operator"]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PermissionError);
    const err = caught as PermissionError;
    expect(err.missingRoles).toEqual(["kill_switch_operator"]);
    expect(err.message).toBe('principal "alice" lacks the required role: kill_switch_operator');
    expect(hasRoles(alice, "admin")).toBe(false);
  });

  it("names every missing role", () => {
    expect(() => requireRoles(alice, ["admin", "auditor"])).toThrow(
      'principal "alice" lacks the required roles: admin, auditor',
    );
  });
});
