// Test support: the governance bundle's workflow definitions, approval inputs, and a worker on the
// time-skipping server with the recording activities.
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from "@temporalio/client";
import { DefaultLogger, Runtime, Worker, type NativeConnection } from "@temporalio/worker";
import { createFsBundleSource, loadBundle } from "@warden/policy";
import { uniqueName } from "@warden/testing";
import { fileURLToPath } from "node:url";
import {
  createRecordingActivities,
  type RecordingActivities,
} from "../src/adapters/fakes/recording-activities.ts";
import { definitionFromRequirement } from "../src/domain/definition.ts";
import {
  approvalWorkflowId,
  type ApprovalActor,
  type ApprovalDefinition,
  type ApprovalInput,
  type VoteInput,
} from "../src/workflows/contract.ts";
import { approvalWorkflow } from "../src/workflows/index.ts";
import { approvalWorkflowsPath } from "../src/workflows-path.ts";

try {
  Runtime.install({ logger: new DefaultLogger("WARN") });
} catch {
  // already installed by another test file in this worker
}

export const governanceDir = fileURLToPath(new URL("../../../governance/", import.meta.url));

/** Every workflow of governance/workflows.yaml, as the approval workflow's definition. */
export async function governanceDefinitions(): Promise<Map<string, ApprovalDefinition>> {
  const bundle = await loadBundle(createFsBundleSource(governanceDir));
  const out = new Map<string, ApprovalDefinition>();
  for (const wf of bundle.workflows.values()) {
    out.set(
      wf.id,
      definitionFromRequirement({
        workflow: wf.id,
        minApprovers: wf.minApprovers,
        requiredRoles: wf.requiredRoles,
        eligibleRoles: [...new Set([...wf.eligibleRoles, ...wf.requiredRoles])],
        timeoutSeconds: wf.timeoutSeconds,
        escalation: wf.escalation,
        aiMayRecommend: wf.aiMayRecommend,
        notify: wf.notify,
      }),
    );
  }
  return out;
}

export const AGENT = "deploy-bot";
export const LAUNCHER = "carol";
export const REQUEST_DIGEST = "sha256:request-1";
export const BUNDLE_DIGEST = "sha256:bundle-1";

export function approvalInput(
  definition: ApprovalDefinition,
  overrides: Partial<ApprovalInput> = {},
): ApprovalInput {
  return {
    actionId: uniqueName("act"),
    agentId: AGENT,
    requestedBy: { type: "human", id: LAUNCHER },
    requestDigest: REQUEST_DIGEST,
    bundleDigest: BUNDLE_DIGEST,
    killswitchEpoch: 3,
    risk: "high",
    environment: "production",
    definition,
    decision: { effect: "EFFECT_APPROVAL_REQUIRED" },
    breakGlassRoles: ["incident-commander"],
    breakGlassValiditySeconds: 300,
    approvalValiditySeconds: 3600,
    createdAt: "2026-12-03T12:00:00.000Z",
    ...overrides,
  };
}

export const human = (id: string, ...roles: string[]): ApprovalActor => ({ type: "human", id, roles });
export const ai = (id: string): ApprovalActor => ({ type: "ai_agent", id, roles: [] });

export function vote(
  voter: ApprovalActor,
  decision: VoteInput["decision"],
  extra: Partial<VoteInput> = {},
): VoteInput {
  return { voter, decision, ...extra };
}

/** The refusal code of a rejected update (the ApplicationFailure's type). */
export async function refusalOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return (err.cause as { type?: string } | undefined)?.type;
    throw err;
  }
}

export interface ApprovalHarness {
  readonly client: Client;
  readonly taskQueue: string;
  readonly recorded: RecordingActivities;
  start(input: ApprovalInput): Promise<WorkflowHandle<typeof approvalWorkflow>>;
}

/** Runs `body` with a worker of the approval workflow on a fresh task queue. */
export async function withApprovalWorker<T>(
  client: Client,
  connection: NativeConnection,
  body: (h: ApprovalHarness) => Promise<T>,
  options: { workflowsPath?: string } = {},
): Promise<T> {
  const taskQueue = uniqueName("approval");
  const recorded = createRecordingActivities();
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: options.workflowsPath ?? approvalWorkflowsPath,
    activities: recorded.activities,
  });
  return worker.runUntil(() =>
    body({
      client,
      taskQueue,
      recorded,
      start: (input) =>
        client.workflow.start(approvalWorkflow, {
          taskQueue,
          workflowId: approvalWorkflowId(input.actionId),
          args: [input],
        }),
    }),
  );
}
