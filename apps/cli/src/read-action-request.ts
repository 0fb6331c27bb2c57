import { readFile } from "node:fs/promises";
import type { ActionRequest } from "@warden/policy";
import { parseActionRequest } from "@warden/policy";
import type { Document, Node as YamlNode } from "yaml";
import { LineCounter, parseDocument } from "yaml";
import { CliInputError } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";

/** actionId given to a request that names none (it is optional in policy tests and here). */
export const EXPLAIN_ACTION_ID = "cli:explain";

/** Name used for standard input in messages. */
export const STDIN_NAME = "<stdin>";

/**
 * Reads an action request from a YAML or JSON file, or from standard input for `-`, in the shape
 * of a policy test's `request` (the domain ActionRequest; `actionId` optional). Every problem is
 * reported as `file:line:col field: reason`.
 */
export async function readActionRequest(file: string, io: CliIo): Promise<ActionRequest> {
  let text: string;
  if (file === "-") text = await io.readStdin();
  else {
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliInputError([
        code === "ENOENT" ? `${file}: no such file` : `${file}: cannot read (${code ?? String(err)})`,
      ]);
    }
  }
  return parseActionRequestText(file === "-" ? STDIN_NAME : file, text);
}

/** Parses and validates request text (YAML, of which JSON is a subset). */
export function parseActionRequestText(name: string, text: string): ActionRequest {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new CliInputError(
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return `${name}:${line}:${col}: not valid YAML or JSON: ${e.message}`;
      }),
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const got =
      value === null || value === undefined ? "nothing" : Array.isArray(value) ? "a list" : typeof value;
    throw new CliInputError([`${name}: expected a request mapping (agentId, action, …), got ${got}`]);
  }
  const withId = "actionId" in value ? value : { actionId: EXPLAIN_ACTION_ID, ...value };
  const parsed = parseActionRequest(withId);
  if (parsed.ok) return parsed.request;
  throw new CliInputError(
    parsed.issues.map((issue) => {
      const path = issue.field === "(request)" ? [] : issue.field.split(".").map(asKey);
      const { line, col } = locate(doc, path, lines);
      return `${name}:${line}:${col} ${issue.field}: ${clearer(issue.reason)}`;
    }),
  );
}

/** zod says "Invalid input: expected string, received undefined" for a missing field. */
function clearer(reason: string): string {
  const missing = /^Invalid input: expected (.+), received undefined$/.exec(reason);
  return missing === null ? reason : `required (${missing[1] ?? "a value"})`;
}

function asKey(segment: string): string | number {
  return /^\d+$/.test(segment) ? Number(segment) : segment;
}

/** Position of the offending node, or of its nearest ancestor when the field is missing. */
function locate(
  doc: Document,
  path: readonly (string | number)[],
  lines: LineCounter,
): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    if (offset !== undefined) return lines.linePos(offset);
  }
  return { line: 1, col: 1 };
}

function isNode(value: unknown): value is YamlNode {
  return value !== null && typeof value === "object" && "range" in value;
}
