// @warden/approval: human approval of risky actions, one Temporal workflow per action (DESIGN.md §5).
export * from "./workflows/contract.ts";
