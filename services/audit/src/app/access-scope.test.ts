import { describe, expect, it } from "vitest";
import { PermissionDeniedError } from "@warden/grpc/errors";
import { accessScopeFor, scopedFilter } from "./access-scope.ts";

const reader = (roles: string[], team?: string) => ({ id: "alice", type: "human", roles, team });

describe("accessScopeFor", () => {
  it("gives the widest scope of the reader's roles", () => {
    expect(accessScopeFor(reader(["engineer"]))).toEqual({
      kind: "own",
      actorId: "alice",
      actorType: "human",
    });
    expect(accessScopeFor(reader(["engineer", "team-lead"], "payments"))).toEqual({
      kind: "team",
      team: "payments",
    });
    expect(accessScopeFor(reader(["team-lead", "auditor"], "payments"))).toEqual({ kind: "all" });
    for (const role of ["security", "security-lead", "compliance", "auditor"]) {
      expect(accessScopeFor(reader([role]))).toEqual({ kind: "all" });
    }
  });

  it("narrows a team lead without a team claim to their own actions", () => {
    expect(accessScopeFor(reader(["team-lead"]))).toEqual({
      kind: "own",
      actorId: "alice",
      actorType: "human",
    });
  });

  it("refuses a reader with no audit role, naming the roles that would do", () => {
    expect(() => accessScopeFor(reader(["viewer"]))).toThrow(PermissionDeniedError);
    expect(() => accessScopeFor(reader([]))).toThrow(/holds no audit role \(one of auditor, .*engineer\)/);
  });

  it("takes role names from configuration", () => {
    const roles = { all: ["cso"], team: ["lead"], own: ["dev"] };
    expect(accessScopeFor(reader(["dev"]), roles)).toEqual({
      kind: "own",
      actorId: "alice",
      actorType: "human",
    });
    expect(() => accessScopeFor(reader(["engineer"]), roles)).toThrow(PermissionDeniedError);
  });
});

describe("scopedFilter", () => {
  it("forces the scope onto the filter, and refuses asking outside it", () => {
    expect(scopedFilter({ action: "code.deploy" }, { kind: "all" })).toEqual({ action: "code.deploy" });
    expect(scopedFilter({ action: "x" }, { kind: "own", actorId: "alice", actorType: "human" })).toEqual({
      action: "x",
      actorId: "alice",
      actorType: "human",
    });
    expect(scopedFilter({ actorId: "alice" }, { kind: "own", actorId: "alice", actorType: "human" })).toEqual(
      {
        actorId: "alice",
        actorType: "human",
      },
    );
    expect(() =>
      scopedFilter({ actorId: "bob" }, { kind: "own", actorId: "alice", actorType: "human" }),
    ).toThrow(/only its own actions/);
    expect(scopedFilter({}, { kind: "team", team: "payments" })).toEqual({ team: "payments" });
    expect(() => scopedFilter({ team: "search" }, { kind: "team", team: "payments" })).toThrow(
      PermissionDeniedError,
    );
  });
});
