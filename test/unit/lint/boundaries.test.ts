// STYLE.md item 16 / ADR 0008: the layer rules in eslint.config.mjs fail on planted violations.
// The fixtures (test/unit/lint/fixtures/) are ignored by the repo's own lint run and linted here
// with the same config file, ESLint's working directory set to the fixtures so that the config's
// `services/*/src/**` and `libs/*/src/**` blocks apply to them as they do to the real tree.
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { beforeAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

async function lintFixtures(): Promise<Map<string, ESLint.LintResult>> {
  const eslint = new ESLint({
    cwd: FIXTURES,
    overrideConfigFile: `${REPO}eslint.config.mjs`,
    // The fixtures belong to no tsconfig project: the layer rules are syntactic, so type-aware
    // rules are switched off for them (the repo's own run keeps them on).
    overrideConfig: [
      {
        ...tseslint.configs.disableTypeChecked,
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: false, project: null } },
      },
    ],
  });
  const results = await eslint.lintFiles(["."]);
  return new Map(results.map((r) => [r.filePath.slice(FIXTURES.length), r]));
}

describe("import boundaries (eslint.config.mjs)", () => {
  let results: Map<string, ESLint.LintResult>;
  beforeAll(async () => {
    results = await lintFixtures();
  }, 60_000);

  function reported(file: string): { ruleId: string | null; message: string }[] {
    const result = results.get(file);
    if (result === undefined) throw new Error(`fixture ${file} was not linted`);
    return result.messages.map(({ ruleId, message }) => ({ ruleId, message }));
  }

  it.each([
    ["services/demo/src/domain/imports-mongodb.ts", "no-restricted-imports", "domain/ is pure"],
    ["services/demo/src/domain/imports-adapter.ts", "import-x/no-restricted-paths", "domain/ is pure"],
    ["services/demo/src/app/imports-transport.ts", "import-x/no-restricted-paths", "app/ works over ports"],
    ["services/demo/src/wire/imports-app.ts", "import-x/no-restricted-paths", "wire/ maps domain"],
    [
      "services/demo/src/app/imports-fixture.ts",
      "import-x/no-restricted-paths",
      "src/testing/ holds test fixtures",
    ],
    ["services/demo/src/app/undeclared-dependency.ts", "import-x/no-extraneous-dependencies", "'fast-check'"],
    ["libs/util/src/imports-service.ts", "no-restricted-imports", "libs/ import no service"],
    ["libs/util/src/imports-service-path.ts", "import-x/no-restricted-paths", "libs/ import no service"],
    [
      "apps/tool/src/imports-service-path.ts",
      "import-x/no-restricted-paths",
      "apps/ use the services' public APIs",
    ],
  ])("%s is reported by %s", (file, ruleId, text) => {
    expect(reported(file)).toContainEqual({ ruleId, message: expect.stringContaining(text) as string });
  });

  it("passes the control files (same layers, allowed imports)", () => {
    for (const file of [
      "services/demo/src/domain/control.ts",
      "services/demo/src/domain/value.ts",
      "services/demo/src/adapters/store.ts",
      "services/demo/src/transport/mapper.ts",
    ]) {
      expect(reported(file), file).toEqual([]);
    }
  });
});
