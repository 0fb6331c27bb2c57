import type { Activation } from "./cel-environment.ts";
import { AGENT_SCHEMA, REQUEST_SCHEMA } from "./cel-environment.ts";

/**
 * Rule reasons are plain text with `{request.field}` / `{agent.field.sub}` placeholders, filled in
 * when the rule matches (numbers formatted as en-US, e.g. 1,000). Not an expression language: a
 * placeholder is a property path, nothing else.
 */

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}/g;
const numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

type Part = string | readonly string[];

export type CompiledReason =
  | { readonly isStatic: true; readonly text: string; readonly render: (activation: Activation) => string }
  | { readonly isStatic: false; readonly render: (activation: Activation) => string };

function knownRoot(root: string, key: string | undefined): boolean {
  if (root === "request") return key !== undefined && key in REQUEST_SCHEMA;
  if (root === "agent") return key !== undefined && key in AGENT_SCHEMA;
  return false;
}

function format(value: unknown): string {
  if (typeof value === "number") return numbers.format(value);
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  return "(none)";
}

export function compileReason(
  template: string,
): { ok: true; reason: CompiledReason } | { ok: false; message: string } {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const path = (m[1] ?? "").split(".");
    const [root = "", key] = path;
    if (!knownRoot(root, key)) {
      return {
        ok: false,
        message: `unknown placeholder {${m[1] ?? ""}}: use {request.<field>} or {agent.<field>}`,
      };
    }
    parts.push(template.slice(last, m.index), path);
    last = m.index + m[0].length;
  }
  if (parts.length === 0) return { ok: true, reason: staticReason(template) };
  parts.push(template.slice(last));
  const render = (activation: Activation): string => {
    let out = "";
    for (const part of parts) {
      if (typeof part === "string") {
        out += part;
        continue;
      }
      let value: unknown = activation;
      for (const key of part)
        value =
          value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
      out += format(value);
    }
    return out;
  };
  return { ok: true, reason: { isStatic: false, render } };
}

export function staticReason(text: string): CompiledReason {
  return { isStatic: true, text, render: () => text };
}
