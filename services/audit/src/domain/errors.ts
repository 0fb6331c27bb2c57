// Typed errors of the audit core; transports map them once at their boundary.

export class AuditError extends Error {
  override readonly name: string = "AuditError";
}

/** A key, key id or field path from configuration is unusable. Names the offending value. */
export class AuditConfigError extends AuditError {
  override readonly name = "AuditConfigError";
  readonly key: string;
  constructor(key: string, message: string, options?: ErrorOptions) {
    super(`${key}: ${message}`, options);
    this.key = key;
  }
}

/** An encrypted field could not be decrypted: unknown key id, wrong key or tampered ciphertext. */
export class DecryptionError extends AuditError {
  override readonly name = "DecryptionError";
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(`${path}: ${message}`, options);
    this.path = path;
  }
}

/** Records handed to a store do not form a chain segment (a bug in the caller, never retried). */
export class ChainInvariantError extends AuditError {
  override readonly name = "ChainInvariantError";
}

/**
 * Another writer kept extending the chain while this one tried to append (the fencing check
 * failed repeatedly). Nothing was acknowledged for the events not committed; they are redelivered.
 */
export class ChainConflictError extends AuditError {
  override readonly name = "ChainConflictError";
}
