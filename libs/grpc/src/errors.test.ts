import { AuthError, JwksUnavailableError, PermissionError } from "@warden/identity";
import { ServerError, Status } from "nice-grpc-common";
import { describe, expect, it } from "vitest";
import { knownServerError } from "./error-mapping-middleware.ts";
import {
  AlreadyExistsError,
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnavailableError,
} from "./errors.ts";

describe("InvalidArgumentError", () => {
  it("names the field and the reason", () => {
    const error = new InvalidArgumentError("request.amount", "must be ≥ 0");
    expect(error.message).toBe("request.amount: must be ≥ 0");
    expect(error.violations).toEqual([{ field: "request.amount", reason: "must be ≥ 0" }]);
  });

  it("lists several violations", () => {
    const cause = new Error("schema");
    const error = new InvalidArgumentError(
      [
        { field: "actor.id", reason: "required" },
        { field: "data.replicas", reason: "expected a number" },
      ],
      { cause },
    );
    expect(error.message).toBe("actor.id: required; data.replicas: expected a number");
    expect(error.cause).toBe(cause);
  });
});

describe("knownServerError", () => {
  it.each([
    [new InvalidArgumentError("f", "bad"), Status.INVALID_ARGUMENT, "f: bad"],
    [new NotFoundError("approval", "a1"), Status.NOT_FOUND, 'approval "a1" not found'],
    [
      new AlreadyExistsError("policy bundle", "v3"),
      Status.ALREADY_EXISTS,
      'policy bundle "v3" already exists',
    ],
    [new FailedPreconditionError("approval is closed"), Status.FAILED_PRECONDITION, "approval is closed"],
    [new ConflictError("kill-switch state changed"), Status.ABORTED, "kill-switch state changed"],
    [
      new PermissionDeniedError("an agent cannot approve its own action"),
      Status.PERMISSION_DENIED,
      "an agent cannot approve its own action",
    ],
    [new ResourceExhaustedError("payload over 1 MiB"), Status.RESOURCE_EXHAUSTED, "payload over 1 MiB"],
    [new UnavailableError("NATS unreachable"), Status.UNAVAILABLE, "NATS unreachable"],
    [new AuthError("expired", "token expired"), Status.UNAUTHENTICATED, "token expired"],
    [
      new PermissionError("bob", ["approver"]),
      Status.PERMISSION_DENIED,
      'principal "bob" lacks the required role: approver',
    ],
    [
      new JwksUnavailableError("cannot fetch https://idp/jwks: timeout"),
      Status.UNAVAILABLE,
      "identity provider unavailable",
    ],
    [new ServerError(Status.OUT_OF_RANGE, "page 9"), Status.OUT_OF_RANGE, "page 9"],
  ])("maps %o", (error, status, details) => {
    const mapped = knownServerError(error);
    expect(mapped?.code).toBe(status);
    expect(mapped?.details).toBe(details);
  });

  it("leaves unknown errors to the INTERNAL path", () => {
    expect(knownServerError(new Error("boom"))).toBeUndefined();
    expect(knownServerError("a string")).toBeUndefined();
  });
});
