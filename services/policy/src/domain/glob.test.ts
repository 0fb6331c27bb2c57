import { describe, expect, it } from "vitest";
import { compileGlob, globMatch } from "./glob.ts";

describe("globMatch", () => {
  it.each([
    ["db.query", "db.*", true],
    ["db.admin.drop", "db.*", true],
    ["dbx.query", "db.*", false],
    ["db", "db.*", false],
    ["shell.exec", "shell.{exec,run}", true],
    ["shell.eval", "shell.{exec,run}", false],
    ["payments/refund", "payments/*", true],
    ["payments/refund/partial", "payments/*", false],
    ["payments/refund/partial", "payments/**", true],
    ["transaction.execute", "*.execute", true],
    ["kb.search", "kb.search", true],
    ["kb.searchx", "kb.search", false],
    ["a.b", "a.?", true],
    ["tool[1]", "tool\\[1\\]", true],
  ])("%s against %s → %s", (name, pattern, expected) => {
    expect(globMatch(name, pattern)).toBe(expected);
    // A second call answers from the matcher's memo; same result.
    expect(globMatch(name, pattern)).toBe(expected);
  });

  it("tells literal names from globs", () => {
    expect(compileGlob("kb.search").isGlob).toBe(false);
    expect(compileGlob("kb.*").isGlob).toBe(true);
    expect(compileGlob("shell.{exec,run}").isGlob).toBe(true);
  });

  it("refuses an empty pattern", () => {
    expect(() => compileGlob("")).toThrow(/empty/);
  });
});
