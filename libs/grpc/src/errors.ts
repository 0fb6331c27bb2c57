// Domain error taxonomy (STYLE.md item 5): services throw these from their core; each boundary maps
// them once (gRPC: error-mapping-middleware.ts). This module imports nothing, so domain and app code
// can use it through `@warden/grpc/errors` without pulling in gRPC.

/** The refusal kinds a service can express. Named after the gRPC status each one maps to. */
export type WardenErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "ABORTED"
  | "PERMISSION_DENIED"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE";

/** Base of every typed domain error. The message is safe to show to the caller. */
export abstract class WardenError extends Error {
  abstract readonly code: WardenErrorCode;
}

/** One rejected field: `field` is a dotted path into the request (`request.amount`, `actor.roles[0]`). */
export type FieldViolation = { field: string; reason: string };

/**
 * The request is malformed regardless of system state. The message names every bad field:
 * `new InvalidArgumentError("request.amount", "must be ≥ 0")` → `request.amount: must be ≥ 0`;
 * several at once (e.g. from a schema library's issues) → `a: …; b: …`.
 */
export class InvalidArgumentError extends WardenError {
  readonly code = "INVALID_ARGUMENT";
  readonly violations: readonly FieldViolation[];

  constructor(field: string, reason: string, options?: ErrorOptions);
  constructor(violations: readonly [FieldViolation, ...FieldViolation[]], options?: ErrorOptions);
  constructor(
    fieldOrViolations: string | readonly [FieldViolation, ...FieldViolation[]],
    reasonOrOptions?: string | ErrorOptions,
    options?: ErrorOptions,
  ) {
    const violations =
      typeof fieldOrViolations === "string"
        ? [
            {
              field: fieldOrViolations,
              reason: typeof reasonOrOptions === "string" ? reasonOrOptions : "invalid",
            },
          ]
        : [...fieldOrViolations];
    super(
      violations.map((v) => `${v.field}: ${v.reason}`).join("; "),
      typeof reasonOrOptions === "object" ? reasonOrOptions : options,
    );
    this.name = "InvalidArgumentError";
    this.violations = violations;
  }
}

/** A named entity does not exist. */
export class NotFoundError extends WardenError {
  readonly code = "NOT_FOUND";
  readonly resource: string;
  readonly id: string;

  constructor(resource: string, id: string, options?: ErrorOptions) {
    super(`${resource} ${JSON.stringify(id)} not found`, options);
    this.name = "NotFoundError";
    this.resource = resource;
    this.id = id;
  }
}

/** The entity the caller tried to create exists already. */
export class AlreadyExistsError extends WardenError {
  readonly code = "ALREADY_EXISTS";
  readonly resource: string;
  readonly id: string;

  constructor(resource: string, id: string, options?: ErrorOptions) {
    super(`${resource} ${JSON.stringify(id)} already exists`, options);
    this.name = "AlreadyExistsError";
    this.resource = resource;
    this.id = id;
  }
}

/** The system is not in the state the operation needs (e.g. vote on a closed approval, kill switch engaged). */
export class FailedPreconditionError extends WardenError {
  readonly code = "FAILED_PRECONDITION";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FailedPreconditionError";
  }
}

/** A concurrent change won (optimistic concurrency, KV revision mismatch); the caller may retry from a fresh read. */
export class ConflictError extends WardenError {
  readonly code = "ABORTED";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConflictError";
  }
}

/**
 * A business-rule refusal for an identified caller (e.g. "an agent cannot approve its own action").
 * A missing role is reported by `requireRoles` from `@warden/identity` (PermissionError), mapped the same way.
 */
export class PermissionDeniedError extends WardenError {
  readonly code = "PERMISSION_DENIED";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PermissionDeniedError";
  }
}

/** A quota or size limit was hit (oversized payload, rate limit). */
export class ResourceExhaustedError extends WardenError {
  readonly code = "RESOURCE_EXHAUSTED";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ResourceExhaustedError";
  }
}

/** A dependency is down or overloaded; transient, the caller may retry with backoff. */
export class UnavailableError extends WardenError {
  readonly code = "UNAVAILABLE";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnavailableError";
  }
}

export function isWardenError(value: unknown): value is WardenError {
  return value instanceof WardenError;
}
