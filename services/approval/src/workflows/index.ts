// The module the worker bundles (`workflowsPath`): every workflow the approval worker runs.
export { approvalWorkflow } from "./approval-workflow.ts";
