import { z } from "zod";

/**
 * What the evaluator knows about one agent's recent usage, for the profile's rate and budget limits
 * (agents.yaml `limits.maxRequestsPerMinute`, `limits.dailyBudget`). `unknown` when the usage cannot
 * be confirmed (the shared count is not caught up or has stalled): an agent with such a limit is then
 * denied (fail closed); agents without them are unaffected.
 */
export type UsageSnapshot =
  | {
      readonly state: "confirmed";
      /** Decisions made for the agent in the sliding last 60 s, any outcome. */
      readonly requestsLastMinute: number;
      /**
       * Amount of today's (UTC day) allow and approval_required decisions for the agent, in the
       * profile's currency (amounts in any currency when the profile names none).
       */
      readonly committedToday: number;
    }
  | { readonly state: "unknown"; readonly reason: string };

/** No recorded usage: offline evaluation (CLI, policy tests without `usage`, benchmarks). */
export const USAGE_NONE: UsageSnapshot = Object.freeze({
  state: "confirmed",
  requestsLastMinute: 0,
  committedToday: 0,
});

/** zod schema for {@link UsageSnapshot} as policy test files write it (`state` defaults to confirmed). */
export const usageSnapshotSchema = z.union([
  z.strictObject({
    state: z.literal("confirmed").default("confirmed"),
    requestsLastMinute: z.number().int().min(0).default(0),
    committedToday: z.number().min(0).default(0),
  }),
  z.strictObject({ state: z.literal("unknown"), reason: z.string().min(1) }),
]) satisfies z.ZodType<UsageSnapshot, unknown>;
