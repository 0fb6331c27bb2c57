// Where the worker finds the workflow module to bundle (`Worker.create({ workflowsPath })`).
import { fileURLToPath } from "node:url";

export const approvalWorkflowsPath = fileURLToPath(new URL("./workflows/index.ts", import.meta.url));
