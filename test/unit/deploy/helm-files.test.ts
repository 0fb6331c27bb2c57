// Helm reads only files inside the chart, so deploy/helm/warden/files/ holds copies of the audit
// roles script, the audit collections' definition and the alert rules. They must stay identical to
// their sources (edit the source, then copy).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const FILES = join(ROOT, "deploy/helm/warden/files");

const COPIES: Record<string, string> = {
  "audit-role.js": "deploy/mongodb/audit-role.js",
  "audit-collections.json": "services/audit/src/adapters/mongo/audit-collections.json",
  "warden-rules.yaml": "deploy/prometheus/warden-rules.yaml",
};

describe("deploy/helm/warden/files", () => {
  for (const [copy, source] of Object.entries(COPIES)) {
    it(`${copy} is identical to ${source} (cp ${source} deploy/helm/warden/files/)`, () => {
      expect(readFileSync(join(FILES, copy), "utf8")).toBe(readFileSync(join(ROOT, source), "utf8"));
    });
  }
});
