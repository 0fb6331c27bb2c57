// @warden/compliance: compliance evidence reports from the audit trail — pure functions over audit
// records and control definitions (data), shared by the CLI and, later, the console.
export * from "./evidence.ts";
export * from "./checks.ts";
export * from "./controls.ts";
export * from "./report.ts";
export * from "./sign.ts";
export { renderReportHtml } from "./html.ts";
