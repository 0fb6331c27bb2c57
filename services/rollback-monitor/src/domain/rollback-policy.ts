// The rollback section of the policy bundle (governance/rollback.yaml): triggers, windows, strategies
// and the escalation path. Strict objects: a misspelt key is an error, never ignored.
import { z } from "zod";

const durationPattern = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s", "5m", "48h" → milliseconds. */
export const durationMs = z
  .string()
  .regex(durationPattern, 'must be a duration such as "30s", "5m", "48h"')
  .transform((text) => {
    const m = durationPattern.exec(text);
    return Number(m?.[1] ?? 0) * UNIT_MS[(m?.[2] ?? "ms") as keyof typeof UNIT_MS];
  });

const name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, "must be a lower-case identifier (a-z 0-9 _ . -)");
const role = z.string().min(1).max(128);

const common = {
  name,
  /** Reported (a `warden.rollback.dry_run` event), never acted on. */
  dryRun: z.boolean().default(false),
  description: z.string().optional(),
};

const metricTrigger = {
  ...common,
  /** Relative increase over the baseline, e.g. 0.10 = 10 %. */
  increase: z.number().positive(),
  window: durationMs,
  /** Samples a window needs to be conclusive. */
  minSamples: z.number().int().min(1).default(3),
  /** A baseline below this counts as this (an error rate of 0 has no relative increase). */
  baselineFloor: z.number().nonnegative().default(0),
  action: z.enum(["rollback", "escalate"]).default("rollback"),
};

export const triggerSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("health"),
    ...common,
    consecutiveFailures: z.number().int().min(1),
    action: z.enum(["rollback", "escalate"]).default("rollback"),
  }),
  z.strictObject({ kind: z.literal("error_rate"), ...metricTrigger }),
  z.strictObject({ kind: z.literal("latency"), ...metricTrigger }),
  z.strictObject({
    kind: z.literal("security_scan"),
    ...common,
    /** A failed scan with a finding of one of these severities fires. */
    severities: z.array(z.enum(["critical", "high", "medium", "low"])).min(1),
    action: z.enum(["rollback", "escalate"]).default("rollback"),
  }),
  z.strictObject({
    kind: z.literal("confidence"),
    ...common,
    /** Fires when an agent's confidence is below this (0..1). */
    below: z.number().min(0).max(1),
    action: z.enum(["rollback", "escalate"]).default("escalate"),
  }),
]);
export type Trigger = z.output<typeof triggerSchema>;
export type TriggerKind = Trigger["kind"];

export const rollbackFileSchema = z
  .strictObject({
    rollback: z.strictObject({
      /** How long after its start a deployment is analysed (extended to a window after completion). */
      analysisWindow: durationMs.default(1_800_000),
      /**
       * A sample that reaches the monitor this long after it was observed is late: it does not
       * count, and a window short of timely samples is inconclusive.
       */
      maxLateness: durationMs.default(60_000),
      /** Health checks must arrive at least this often while monitoring, else inconclusive. */
      maxSignalGap: durationMs.default(120_000),
      /** Rollout strategy → rollback strategy. */
      strategies: z
        .strictObject({
          "blue-green": z.string().min(1).default("blue-green-switch-back"),
          canary: z.string().min(1).default("canary-abort"),
          rolling: z.string().min(1).default("redeploy-previous"),
        })
        .default({
          "blue-green": "blue-green-switch-back",
          canary: "canary-abort",
          rolling: "redeploy-previous",
        }),
      verification: z
        .strictObject({
          timeout: durationMs.default(300_000),
          /** Consecutive passing health checks that verify a rollback. */
          healthChecks: z.number().int().min(1).default(3),
        })
        .default({ timeout: 300_000, healthChecks: 3 }),
      incident: z
        .strictObject({
          severity: z.string().min(1).default("sev2"),
          reviewDue: durationMs.default(172_800_000),
        })
        .default({ severity: "sev2", reviewDue: 172_800_000 }),
      /** Who decides an inconclusive analysis or a failed rollback (the approval's roles). */
      escalationRoles: z.array(role).min(1).default(["on-call-engineer"]),
      /** Roles that may trigger a manual rollback through the gRPC API. */
      manualRoles: z.array(role).min(1).default(["on-call-engineer", "engineering-lead"]),
      triggers: z.array(triggerSchema).min(1, "at least one trigger is required"),
    }),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rollback.triggers.forEach((t, i) => {
      if (seen.has(t.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["rollback", "triggers", i, "name"],
          message: `duplicate trigger name "${t.name}"`,
        });
      }
      seen.add(t.name);
    });
  });

export type RollbackPolicy = z.output<typeof rollbackFileSchema>["rollback"];

export class RollbackPolicyError extends Error {
  readonly issues: { field: string; reason: string }[];
  constructor(issues: { field: string; reason: string }[]) {
    super(`invalid rollback policy: ${issues.map((i) => `${i.field}: ${i.reason}`).join("; ")}`);
    this.name = "RollbackPolicyError";
    this.issues = issues;
  }
}

/** The parsed YAML document → the policy; throws RollbackPolicyError naming each bad field. */
export function parseRollbackPolicy(document: unknown): RollbackPolicy {
  const parsed = rollbackFileSchema.safeParse(document);
  if (!parsed.success) {
    throw new RollbackPolicyError(
      parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join(".") || "(file)",
        reason: issue.message,
      })),
    );
  }
  return parsed.data.rollback;
}
