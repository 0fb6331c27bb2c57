import { z } from "zod";

/**
 * Schema of the bundle's YAML files (see governance/README.md). Objects are strict: an unknown key
 * is an error (a misspelt `mode: shadow` must not silently enforce).
 */

const id = z
  .string()
  .min(1, "must not be empty")
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$/, "must be an identifier (letters, digits, _ . : @ / -)");
/** Exact name or glob (`transaction.*`). */
const namePattern = z.string().min(1, "must not be empty").max(200);
const role = id;
const durationPattern = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** "90s", "30m", "1h", "7d" → seconds. */
export const duration = z
  .string()
  .regex(durationPattern, 'must be a duration such as "30m", "1h", "24h" or "7d"')
  .transform((text) => {
    const m = durationPattern.exec(text);
    const unit = (m?.[2] ?? "s") as keyof typeof UNIT_SECONDS;
    return Number(m?.[1] ?? 0) * UNIT_SECONDS[unit];
  });

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time of day "HH:MM"');

export const manifestFileSchema = z.strictObject({
  apiVersion: z.literal("warden.dev/policy/v1"),
  name: id,
  description: z.string().optional(),
  owners: z.array(z.string().min(1)).optional(),
  /** Actions that stay allowed while an emergency stop covers them (rollbacks). Globs allowed. */
  safetyActions: z.array(namePattern).default([]),
});

export const riskLevelsFileSchema = z.strictObject({
  /** Ordered from lowest to highest. */
  riskLevels: z
    .array(
      z.strictObject({
        id,
        description: z.string().min(1),
        approval: z.enum(["automated", "human"]),
        minApprovers: z.number().int().min(0),
        approverRoles: z.array(role).default([]),
        aiAutonomy: z.enum(["high", "recommend_only", "escalate_only", "human_only"]),
      }),
    )
    .min(1, "at least one risk level is required"),
});

export const agentsFileSchema = z.strictObject({
  agents: z.array(
    z.strictObject({
      id,
      description: z.string().optional(),
      /** ai_agent: an AI model acts; automation: a deterministic pipeline or bot. */
      kind: z.enum(["ai_agent", "automation"]),
      riskLevel: id,
      capabilities: z.strictObject({
        dataAccess: z.enum(["none", "read_only", "read_write"]),
        externalMessages: z.boolean(),
        codeExecution: z.boolean(),
      }),
      /** When present, every other action is denied (a ceiling, not a grant). */
      allowedActions: z.array(namePattern).optional(),
      forbiddenActions: z.array(namePattern).default([]),
      allowedTools: z.array(namePattern).optional(),
      forbiddenTools: z.array(namePattern).default([]),
      limits: z
        .strictObject({
          maxTransactionAmount: z.number().min(0).optional(),
          refundApprovalThreshold: z.number().min(0).optional(),
          currency: z
            .string()
            .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
            .optional(),
          transactionsRequireApproval: z.boolean().optional(),
          maxRequestsPerMinute: z.number().int().min(1).optional(),
          dailyBudget: z.number().min(0).optional(),
        })
        .default({}),
      businessHours: z.strictObject({ start: clock, end: clock, timeZone: z.string().min(1) }).optional(),
    }),
  ),
});

const aiRole = z.enum(["auto_deploy", "recommend", "analyze", "human_only"]);

export const decisionMatrixFileSchema = z.strictObject({
  /** Actions the matrix governs; default: any action carrying a matching changeType. */
  appliesTo: z.array(namePattern).optional(),
  rows: z.array(
    z.strictObject({
      id: id.optional(),
      changeType: id,
      /** Environment, or "*" for any. */
      environment: z.string().min(1).default("*"),
      /** Version change (patch / minor / major), or "*" for any. */
      version: z.string().min(1).default("*"),
      approvers: z.number().int().min(0),
      requiredRoles: z.array(role).default([]),
      ai: aiRole,
      risk: id,
      workflow: id.optional(),
      description: z.string().optional(),
    }),
  ),
});

const match = z
  .strictObject({
    actions: z.array(namePattern).min(1).optional(),
    environments: z.array(namePattern).min(1).optional(),
    agents: z.array(namePattern).min(1).optional(),
    changeTypes: z.array(namePattern).min(1).optional(),
  })
  .default({});

export const rulesFileSchema = z.strictObject({
  rules: z.array(
    z.strictObject({
      id,
      description: z.string().optional(),
      effect: z.enum(["allow", "deny", "approval_required"]),
      mode: z.enum(["enforce", "shadow"]).default("enforce"),
      risk: id.optional(),
      /** Indexed targets; an absent dimension matches anything. Values may be globs. */
      match,
      /** CEL condition; absent means always. */
      when: z.string().min(1).optional(),
      /** Human-readable; `{request.x}` / `{agent.x}` placeholders are filled in. */
      reason: z.string().min(1),
      approval: z
        .strictObject({
          workflow: id,
          minApprovers: z.number().int().min(1).optional(),
          requiredRoles: z.array(role).default([]),
        })
        .optional(),
    }),
  ),
});

export const workflowsFileSchema = z.strictObject({
  workflows: z.array(
    z.strictObject({
      id,
      description: z.string().optional(),
      approvers: z.strictObject({
        min: z.number().int().min(1),
        /** Roles whose holders may vote. */
        roles: z.array(role).min(1),
        /** Roles that must each be represented among the approvers. */
        required: z.array(role).default([]),
      }),
      /** How long each escalation level waits. */
      timeout: duration,
      escalation: z.array(z.strictObject({ role, after: duration })).default([]),
      notify: z
        .array(z.string().regex(/^[a-z]+:.+$/, 'must be "channel:target", e.g. "slack:#deploys"'))
        .min(1),
      ai: z.strictObject({
        mayRecommend: z.boolean(),
        mayApprove: z.literal(false, { error: "AI may never approve" }),
      }),
    }),
  ),
});

export type ManifestFile = z.output<typeof manifestFileSchema>;
export type RiskLevelsFile = z.output<typeof riskLevelsFileSchema>;
export type AgentsFile = z.output<typeof agentsFileSchema>;
export type DecisionMatrixFile = z.output<typeof decisionMatrixFileSchema>;
export type RulesFile = z.output<typeof rulesFileSchema>;
export type WorkflowsFile = z.output<typeof workflowsFileSchema>;

/** The files a bundle may hold, their schemas, and whether they are required. */
/** The policy checks only that rollback.yaml holds a `rollback` mapping; the monitor owns its schema. */
export const rollbackFileSchema = z.strictObject({ rollback: z.record(z.string(), z.unknown()) });

export const BUNDLE_FILES = {
  "bundle.yaml": { schema: manifestFileSchema, required: true },
  "risk-levels.yaml": { schema: riskLevelsFileSchema, required: true },
  "agents.yaml": { schema: agentsFileSchema, required: true },
  "decision-matrix.yaml": { schema: decisionMatrixFileSchema, required: false },
  "rules.yaml": { schema: rulesFileSchema, required: false },
  "workflows.yaml": { schema: workflowsFileSchema, required: false },
  /**
   * The rollback monitor's triggers: part of the bundle (and its digest), validated strictly by the
   * rollback monitor (services/rollback-monitor/src/domain/rollback-policy.ts), not by the policy.
   */
  "rollback.yaml": { schema: rollbackFileSchema, required: false },
} as const;

export type BundleFileName = keyof typeof BUNDLE_FILES;
