// RollbackWorkflows on Temporal: one workflow per deployment (rollback-<deploymentId>). A second
// start while one runs attaches to it (WorkflowIdConflictPolicy USE_EXISTING); after it closed, the
// id is not reused (REJECT_DUPLICATE), so a late trigger never rolls back twice.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from "@temporalio/client";
import type { Client } from "@temporalio/client";
import type { RollbackWorkflows } from "../../app/ports.ts";
import { rollbackWorkflowId } from "../../domain/rollback-request.ts";
import { healthSignal, ROLLBACK_WORKFLOW_TYPE } from "../../workflows/contract.ts";

export function createTemporalRollbackWorkflows(client: Client, taskQueue: string): RollbackWorkflows {
  return {
    async start(request) {
      const workflowId = rollbackWorkflowId(request.deploymentId);
      try {
        await client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
          taskQueue,
          workflowId,
          args: [request],
          workflowIdConflictPolicy: "USE_EXISTING",
          workflowIdReusePolicy: "REJECT_DUPLICATE",
        });
        return { workflowId, started: true };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
        throw err;
      }
    },
    async reportHealth(deploymentId, report) {
      try {
        await client.workflow.getHandle(rollbackWorkflowId(deploymentId)).signal(healthSignal, report);
      } catch (err) {
        // A closed rollback no longer verifies: nothing to tell it.
        if (err instanceof WorkflowNotFoundError) return;
        throw err;
      }
    },
  };
}
