import { LineCounter, isMap, isScalar, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { z } from "zod";
import type { BundleIssue } from "./bundle-error.ts";

/** A parsed YAML file that remembers where every node came from. */
export interface YamlFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

export type Path = readonly PropertyKey[];

/** `rules[2].match.actions[0]` */
export function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

export function parseYaml(file: string, text: string): { yaml: YamlFile; issues: BundleIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  // With prettyErrors off the library leaves `linePos` unset; its `pos` (character offsets) is
  // always there, and the line counter turns it into a 1-based line and column.
  const issues: BundleIssue[] = [...doc.errors, ...doc.warnings].map((e) => ({
    file,
    ...lines.linePos(e.pos[0]),
    field: "",
    reason: `YAML: ${e.message.split(" at line ")[0] ?? e.message}`,
  }));
  return { yaml: { file, text, doc, lines }, issues };
}

function nodeAt(yaml: YamlFile, path: Path): YamlNode | undefined {
  if (path.length === 0) return yaml.doc.contents ?? undefined;
  const node: unknown = yaml.doc.getIn(path as unknown[], true);
  return node !== null && typeof node === "object" && "range" in node ? (node as YamlNode) : undefined;
}

/** Line and column of `path`, or of its nearest existing ancestor; optionally of a key in a map. */
export function locate(yaml: YamlFile, path: Path, key?: string): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(yaml, path.slice(0, n));
    if (node?.range == null) continue;
    let offset = node.range[0];
    if (key !== undefined && n === path.length && isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key) && pair.key.value === key && pair.key.range != null)
          offset = pair.key.range[0];
      }
    }
    return yaml.lines.linePos(offset);
  }
  return { line: 1, col: 1 };
}

/**
 * Position of character `offset` inside the string scalar at `path` (for CEL error positions).
 * Exact for plain, quoted and literal-block scalars without escapes; close otherwise.
 */
export function locateInScalar(yaml: YamlFile, path: Path, offset: number): { line: number; col: number } {
  const node = nodeAt(yaml, path);
  if (node?.range == null || !isScalar(node) || typeof node.value !== "string") return locate(yaml, path);
  const start = node.range[0];
  const value = node.value;
  switch (node.type) {
    case "PLAIN":
      return yaml.lines.linePos(start + offset);
    case "QUOTE_DOUBLE":
    case "QUOTE_SINGLE":
      return value.includes("\n") ? yaml.lines.linePos(start) : yaml.lines.linePos(start + 1 + offset);
    default: {
      // Block scalar: the header line, then one source line per value line, indented.
      const header = yaml.lines.linePos(start);
      const before = value.slice(0, offset);
      const lineIndex = before.split("\n").length - 1;
      const colInLine = offset - (before.lastIndexOf("\n") + 1);
      const sourceLine = header.line + 1 + lineIndex;
      const lineStart = yaml.lines.lineStarts[sourceLine - 1];
      if (lineStart === undefined) return header;
      const indent = /^ */.exec(yaml.text.slice(lineStart))?.[0].length ?? 0;
      return { line: sourceLine, col: indent + colInLine + 1 };
    }
  }
}

/** Validates the file's content against `schema`; every zod issue becomes a located BundleIssue. */
export function validateYaml<S extends z.ZodType>(
  yaml: YamlFile,
  schema: S,
): { ok: true; value: z.output<S> } | { ok: false; issues: BundleIssue[] } {
  const data: unknown = yaml.doc.toJS({ maxAliasCount: 100 });
  const result = schema.safeParse(data ?? {}, {
    error: (iss) => (iss.code === "invalid_type" && iss.input === undefined ? "is required" : undefined),
  });
  if (result.success) return { ok: true, value: result.data };
  const issues: BundleIssue[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path as Path;
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        issues.push({
          file: yaml.file,
          ...locate(yaml, path, key),
          field: formatPath([...path, key]),
          reason: "unknown field",
        });
      }
      continue;
    }
    issues.push({ file: yaml.file, ...locate(yaml, path), field: formatPath(path), reason: issue.message });
  }
  return { ok: false, issues };
}
