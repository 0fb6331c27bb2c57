// A tiny tagged template for server-rendered HTML (the same as the approval service's link pages):
// every interpolated value is escaped with escape-html unless it is already Html; arrays are joined.
import escapeHtml from "escape-html";

export interface Html {
  readonly __html: string;
}

const isHtml = (value: unknown): value is Html =>
  typeof value === "object" && value !== null && "__html" in value && typeof value.__html === "string";

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  if (isHtml(value)) return value.__html;
  if (typeof value === "string") return escapeHtml(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return escapeHtml(String(value));
  throw new TypeError(`html: cannot interpolate a ${typeof value}`);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return { __html: out };
}

/** Trusted markup (constants of this package only, never user input). */
export const raw = (markup: string): Html => ({ __html: markup });
