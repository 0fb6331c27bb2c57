// One place that turns a failed call into what the user sees: the exit code (cli-error.ts), a
// first line saying what happened, and a hint saying what to do. gRPC status → exit code:
//   UNAVAILABLE, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNKNOWN, DATA_LOSS, a timeout → 3
//   NOT_FOUND → 4
//   INVALID_ARGUMENT, OUT_OF_RANGE → 2 (the request itself is wrong)
//   UNAUTHENTICATED, PERMISSION_DENIED, FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS,
//   RESOURCE_EXHAUSTED, CANCELLED → 1 (refused)
import { ClientError, Status } from "nice-grpc";
import { EXIT } from "./cli-error.ts";
import type { ExitCode } from "./cli-error.ts";
import { SERVICE_LABEL } from "./config.ts";
import type { ServiceName } from "./config.ts";

const EXIT_BY_STATUS: Partial<Record<Status, ExitCode>> = {
  [Status.UNAVAILABLE]: EXIT.unavailable,
  [Status.DEADLINE_EXCEEDED]: EXIT.unavailable,
  [Status.UNIMPLEMENTED]: EXIT.unavailable,
  [Status.INTERNAL]: EXIT.unavailable,
  [Status.UNKNOWN]: EXIT.unavailable,
  [Status.DATA_LOSS]: EXIT.unavailable,
  [Status.NOT_FOUND]: EXIT.notFound,
  [Status.INVALID_ARGUMENT]: EXIT.invalid,
  [Status.OUT_OF_RANGE]: EXIT.invalid,
};

export interface ServiceCallContext {
  readonly timeoutMs: number;
  /** The user pressed Ctrl-C. */
  readonly interrupted: boolean;
  /** WARDEN_<SERVICE>_ADDR. */
  readonly envVar: string;
}

/** A call to a service failed; carries the exit code, the message and the hint. */
export class ServiceCallError extends Error {
  override readonly name = "ServiceCallError";
  readonly service: ServiceName;
  readonly address: string;
  readonly exitCode: ExitCode;
  /** The gRPC status name, e.g. "PERMISSION_DENIED"; "TIMEOUT" when --timeout elapsed. */
  readonly status: string;
  readonly hint: string;
  constructor(service: ServiceName, address: string, cause: unknown, context: ServiceCallContext) {
    const label = SERVICE_LABEL[service];
    const flag = `--${service}-addr`;
    const where = `the ${label} service at ${address}`;
    const reachHint = `is ${where} running? Locally \`make up\` starts it; elsewhere set ${flag} or ${context.envVar}`;
    let status: string;
    let exitCode: ExitCode;
    let message: string;
    let hint: string;
    if (cause instanceof ClientError) {
      status = Status[cause.code];
      exitCode = EXIT_BY_STATUS[cause.code] ?? EXIT.failed;
      // grpc-js's connection errors end in an empty "Resolution note:"; keep what helps.
      const details = cause.details === "" ? status : cause.details.replace(/\.? ?Resolution note: ?$/, "");
      switch (cause.code) {
        case Status.UNAVAILABLE:
          message = `${where} is unavailable: ${details}`;
          // A TLS service refuses a plaintext client, an untrusted CA or a missing client certificate
          // before any gRPC status exists: the same UNAVAILABLE as a service that is down.
          hint = `${reachHint}; a service serving TLS needs --tls-ca FILE (mutual TLS: also --tls-cert and --tls-key)`;
          break;
        case Status.DEADLINE_EXCEEDED:
          message = `${where} did not answer in time: ${details}`;
          hint = `${reachHint}; or allow more time with --timeout MS`;
          break;
        case Status.UNIMPLEMENTED:
          message = `${address} answers but does not serve the ${label} API: ${details}`;
          hint = `check ${flag} / ${context.envVar}: is another service on that port?`;
          break;
        case Status.UNAUTHENTICATED:
          message = `refused by ${where}: not authenticated: ${details}`;
          hint =
            "pass a valid, unexpired token with --token, WARDEN_TOKEN or WARDEN_TOKEN_FILE (locally: warden dev token --user YOU --roles ROLE)";
          break;
        case Status.PERMISSION_DENIED:
          message = `refused by ${where}: ${details}`;
          hint =
            "the message names what is missing (a role, or who may not do this); use a token that holds it";
          break;
        case Status.FAILED_PRECONDITION:
          message = `refused by ${where}: ${details}`;
          hint = "the current state does not allow this; look at it first (show / status) and try again";
          break;
        case Status.ABORTED:
          message = `refused by ${where}: the state changed since it was read: ${details}`;
          hint = "read the current state again (e.g. `warden stop status`) and repeat the command";
          break;
        case Status.NOT_FOUND:
          message = `not found: ${details}`;
          hint = "check the id (list the existing ones, e.g. `warden approvals list`)";
          break;
        case Status.INVALID_ARGUMENT:
          message = `${where} rejected the request: ${details}`;
          hint = "fix the field the message names";
          break;
        default:
          message = `${where} failed: ${status}: ${details}`;
          hint = `see the ${label} service's log`;
      }
    } else if (context.interrupted) {
      status = "CANCELLED";
      exitCode = EXIT.failed;
      message = "interrupted";
      hint = "";
    } else if (cause instanceof Error && cause.name === "AbortError") {
      status = "TIMEOUT";
      exitCode = EXIT.unavailable;
      message = `no answer from ${where} within ${context.timeoutMs} ms`;
      hint = `${reachHint}; or allow more time with --timeout MS`;
    } else {
      status = "ERROR";
      exitCode = EXIT.unavailable;
      message = `calling ${where} failed: ${cause instanceof Error ? cause.message : String(cause)}`;
      hint = reachHint;
    }
    super(message, { cause });
    this.service = service;
    this.address = address;
    this.exitCode = exitCode;
    this.status = status;
    this.hint = hint;
  }

  /** The `--json` form, printed on stdout as the command's one document. */
  toJSON(): Record<string, unknown> {
    return {
      error: {
        status: this.status,
        exitCode: this.exitCode,
        service: SERVICE_LABEL[this.service],
        address: this.address,
        message: this.message,
        hint: this.hint,
      },
    };
  }
}
