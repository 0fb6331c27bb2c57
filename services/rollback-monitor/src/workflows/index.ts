// The workflows the rollback-monitor worker registers (its workflowsPath).
export { rollbackWorkflow } from "./rollback-workflow.ts";
