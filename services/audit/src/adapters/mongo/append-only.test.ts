// The Mongo adapter must only insert and find (DESIGN.md §8): this test fails if any of its source
// files names an operation that changes or removes stored data.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const FORBIDDEN =
  /\b(update|updateOne|updateMany|replaceOne|deleteOne|deleteMany|findOneAndUpdate|findOneAndReplace|findOneAndDelete|findAndModify|bulkWrite|remove|drop|dropCollection|dropDatabase|dropIndex|dropIndexes|rename|renameCollection)\s*\(|\$(set|unset|inc|push|pull|pullAll|addToSet|pop|rename|currentDate|setOnInsert|mul|min|max|bit)\b/g;

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

describe("Mongo adapter is append-only", () => {
  const dir = import.meta.dirname;
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

  it("has source files to check", () => {
    expect(files).toContain("mongo-audit-store.ts");
  });

  it.each(files)("%s only inserts and finds", (file) => {
    const source = stripComments(readFileSync(join(dir, file), "utf8"));
    expect([...source.matchAll(FORBIDDEN)].map((m) => m[0])).toEqual([]);
  });

  it("the check itself catches a mutation", () => {
    const planted = "await this.#events.updateOne({ seq: 1 }, { $set: { outcome: 'allow' } });";
    expect([...planted.matchAll(FORBIDDEN)].map((m) => m[0])).toEqual(["updateOne(", "$set"]);
  });
});
