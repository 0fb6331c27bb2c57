import { z } from "zod";

/**
 * What an agent, pipeline or bot asks to do. Plain domain type (not the proto message): transports
 * map their wire format to this shape and validate it with {@link parseActionRequest}.
 *
 * Identity: `agentId` is what the payload claims. The evaluator compares it with the identity the
 * transport established (NATS subject / connection, gRPC peer) and denies on a mismatch.
 */
export interface ActionRequest {
  readonly actionId: string;
  readonly agentId: string;
  /** Dotted action name, e.g. `change.deploy`, `transaction.execute`, `message.send`. */
  readonly action: string;
  /** Tool the agent wants to use, e.g. `db.query`, `shell.exec`. */
  readonly tool?: string;
  /** Kind of change for change actions: `code`, `security`, `infrastructure`, `ai_agent_rule`, `compliance`. */
  readonly changeType?: string;
  /** `development`, `staging`, `production`, … (the wire's Environment enum, lower-case suffix) */
  readonly environment?: string;
  /** Semantic-version size of a code change: `patch`, `minor`, `major`. */
  readonly versionChange?: string;
  /** Resource the action targets, e.g. a repository, database or customer account. */
  readonly target?: string;
  /** Warden-known service the action affects (the kill switch's `service` scope matches this). */
  readonly service?: string;
  readonly amount?: number;
  readonly currency?: string;
  readonly message?: OutboundMessage;
  readonly arguments?: Readonly<Record<string, unknown>>;
  /** Human on whose behalf the agent acts (or who launched it). */
  readonly requestedBy?: string;
  readonly ticket?: string;
  readonly reason?: string;
  /** Present when an AI model produced the request. */
  readonly ai?: AiProvenance;
  /**
   * When the requester intends to act (ISO 8601). Informational: time-window rules use the
   * evaluator's own clock (`now`), never this payload field.
   */
  readonly time?: string;
}

export interface OutboundMessage {
  readonly channel: string;
  /** True when the message leaves the organisation (customer e-mail, public chat, SMS …). */
  readonly external: boolean;
  readonly body: string;
}

export interface AiProvenance {
  readonly model: string;
  readonly version: string;
  readonly promptDigest: string;
  readonly rationale: string;
  /** 0 … 1 */
  readonly confidence: number;
}

const name = (max: number) =>
  z.string().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
const identifier = name(200).regex(
  /^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$/,
  "must be an identifier (letters, digits, _ . : @ / -)",
);

/** zod schema for {@link ActionRequest}; unknown keys are dropped. */
export const actionRequestSchema = z.object({
  actionId: identifier,
  agentId: identifier,
  action: identifier,
  tool: identifier.optional(),
  changeType: identifier.optional(),
  environment: identifier.optional(),
  versionChange: identifier.optional(),
  target: identifier.optional(),
  service: identifier.optional(),
  amount: z.number().finite().min(0).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
    .optional(),
  message: z
    .object({
      channel: name(200),
      external: z.boolean(),
      body: z.string().max(65_536, "must be at most 65536 characters"),
    })
    .optional(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  requestedBy: name(200).optional(),
  ticket: name(200).optional(),
  reason: z.string().max(4_096).optional(),
  ai: z
    .object({
      model: name(200),
      version: name(200),
      promptDigest: name(200),
      rationale: z.string().max(16_384),
      confidence: z.number().min(0).max(1),
    })
    .optional(),
  time: z.iso.datetime({ offset: true }).optional(),
}) satisfies z.ZodType<ActionRequest>;

/** One problem with a request, naming the field (dotted path) and the reason. */
export interface RequestIssue {
  readonly field: string;
  readonly reason: string;
}

export type ParseActionRequestResult =
  | { readonly ok: true; readonly request: ActionRequest }
  | { readonly ok: false; readonly issues: readonly RequestIssue[] };

/** Validates an untrusted value as an {@link ActionRequest}; every problem is listed with its field. */
export function parseActionRequest(value: unknown): ParseActionRequestResult {
  const result = actionRequestSchema.safeParse(value);
  if (result.success) return { ok: true, request: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      field: issue.path.length === 0 ? "(request)" : issue.path.map(String).join("."),
      reason: issue.message,
    })),
  };
}
