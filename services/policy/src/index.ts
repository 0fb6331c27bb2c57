// Public API of the policy service's core: load a bundle, evaluate requests, run policy tests.
// Transports (NATS, gRPC) and the CLI build on these.
export type {
  ActionRequest,
  AiProvenance,
  OutboundMessage,
  ParseActionRequestResult,
  RequestIssue,
} from "./domain/action-request.ts";
export { actionRequestSchema, parseActionRequest } from "./domain/action-request.ts";
export type {
  AiRole,
  ApprovalRequirement,
  Decision,
  Effect,
  EscalationStep,
  MatchedRule,
  Outcome,
} from "./domain/decision.ts";
export type { StopScope, StopScopeKind, StopState } from "./domain/stop-state.ts";
export { STOP_CLEAR, coveringScope, stopStateSchema } from "./domain/stop-state.ts";
export type { UsageSnapshot } from "./domain/usage.ts";
export { USAGE_NONE, usageSnapshotSchema } from "./domain/usage.ts";
export type {
  Bundle,
  CompiledAgent,
  CompiledRule,
  RiskLevel,
  SourceLocation,
  Workflow,
} from "./domain/bundle.ts";
export type { BundleIssue } from "./domain/bundle-error.ts";
export { BundleError, formatIssue } from "./domain/bundle-error.ts";
export type { BundleFiles } from "./domain/compile-bundle.ts";
export { compileBundle } from "./domain/compile-bundle.ts";
export { bundleDigest } from "./domain/digest.ts";
export { indexStats } from "./domain/rule-index.ts";
export type {
  EvaluationContext,
  Evaluator,
  EvaluatorOptions,
  Explanation,
  RuleExplanation,
  RuleStatus,
} from "./domain/evaluator.ts";
export { BUILTIN, createEvaluator } from "./domain/evaluator.ts";
export type { PolicyTestCase, PolicyTestResult } from "./domain/policy-test.ts";
export { DEFAULT_TEST_TIME, parsePolicyTestFile, runPolicyTestCase } from "./domain/policy-test.ts";
export type { PiiKind } from "./domain/pii.ts";
export { containsPii, ibanValid, luhnValid, piiKinds } from "./domain/pii.ts";
export { inPeriod, inWindow } from "./domain/time-window.ts";
export { globMatch } from "./domain/glob.ts";
export type { BundleSnapshot, BundleSource } from "./app/ports.ts";
export { loadBundle } from "./app/load-bundle.ts";
export type { PolicyTestReport } from "./app/run-policy-tests.ts";
export { runPolicyTests } from "./app/run-policy-tests.ts";
export { createFsBundleSource } from "./adapters/fs/fs-bundle-source.ts";
// The configuration schema, for tools that check a deployment's environment (test/ops/deploy-helm.test.ts).
export { loadConfig } from "./config.ts";
