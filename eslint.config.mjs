// Type-aware lint (STYLE.md item 14): floating promises and import cycles are errors.
// Layer boundaries (STYLE.md item 16, docs/adr/0008-layer-boundaries.md): what domain/, app/, wire/
// and libs/ may import is stated here, and test/unit/lint/boundaries.test.ts plants a violation of
// each rule and checks it fails.
import { readFileSync, readdirSync } from "node:fs";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

// Every service package's name (@warden/policy, …), read from services/*/package.json, so a new
// service is covered by the libs rule without editing this file.
const servicesDir = new URL("./services/", import.meta.url);
const servicePackages = readdirSync(servicesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) => {
    try {
      const manifest = JSON.parse(readFileSync(new URL(`${entry.name}/package.json`, servicesDir), "utf8"));
      return typeof manifest.name === "string" ? [manifest.name] : [];
    } catch {
      return [];
    }
  });

const SRC = "services/*/src";
// no-restricted-paths matches absolute paths: "**/" lets the same zones cover the planted fixtures
// under test/unit/lint/fixtures/ (imports resolve to real files, so the patterns must match them).
const LAYER = "**/services/*/src";
const OUTER = [`${LAYER}/adapters/**`, `${LAYER}/transport/**`, `${LAYER}/wire/**`];
const TEST_FILES = ["**/*.test.ts", "**/src/testing/**"];
// Infrastructure the domain never sees: I/O drivers, transports and the generated wire types.
const INFRA_PACKAGES = ["mongodb", "@nats-io/*", "@temporalio/*", "@grpc/*", "nice-grpc", "nice-grpc-*"];
const restrictPackages = (names, why) => ["error", { patterns: [{ group: names, message: why }] }];
const zone = (target, from, message, except) => ({ target, from, message, ...(except && { except }) });

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "libs/contracts/src/gen/**",
      ".warden/**",
      "tools/**",
      "coverage/**",
      // Planted violations, linted on purpose by test/unit/lint/boundaries.test.ts.
      "test/unit/lint/fixtures/**",
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
    settings: {
      // vitest is the workspace's one test runner, declared once in the root package.json; every
      // other package an import names must be declared by the importing package itself.
      "import-x/core-modules": ["vitest", "vitest/config", "vitest/node"],
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "import-x/no-cycle": "error",
      "import-x/no-default-export": "error",
      // Across packages, import by name (@warden/...); relative paths stay inside one package.
      "import-x/no-relative-packages": "error",
      // Every imported package is declared in the nearest package.json; test code may use devDependencies.
      "import-x/no-extraneous-dependencies": [
        "error",
        {
          devDependencies: [
            "**/*.test.ts",
            "**/src/testing/**",
            "**/test/**",
            "**/*.bench.ts",
            "*.config.*",
            "eslint.config.mjs",
            "scripts/**",
          ],
          includeTypes: true,
        },
      ],
    },
  },
  {
    // Layers inside a service, production code (ADR 0008).
    files: [`${SRC}/**/*.ts`],
    ignores: TEST_FILES,
    rules: {
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: [
            zone(
              `${LAYER}/domain/**`,
              [`${LAYER}/app/**`, ...OUTER, `${LAYER}/workflows/**`, `${LAYER}/activities/**`],
              "domain/ is pure: it imports only domain/ (ADR 0008)",
            ),
            zone(
              `${LAYER}/app/**`,
              OUTER,
              "app/ works over ports: no adapter, transport or wire import (ADR 0008)",
            ),
            zone(
              `${LAYER}/wire/**`,
              [`${LAYER}/app/**`, `${LAYER}/adapters/**`, `${LAYER}/transport/**`],
              "wire/ maps domain <-> proto JSON only (ADR 0008)",
            ),
            zone(
              `${LAYER}/**`,
              [`${LAYER}/testing/**`],
              "src/testing/ holds test fixtures: production code never imports it (ADR 0008)",
            ),
          ],
        },
      ],
    },
  },
  {
    // Layers inside a service, test code: the same direction, with fixtures and fakes allowed.
    files: [`${SRC}/domain/**/*.test.ts`, `${SRC}/app/**/*.test.ts`],
    rules: {
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: [
            zone(
              `${LAYER}/domain/**`,
              [`${LAYER}/app/**`, ...OUTER],
              "domain tests use domain code and src/testing/ fixtures only (ADR 0008)",
            ),
            zone(
              `${LAYER}/app/**`,
              [
                `${LAYER}/adapters/!(fakes)/**`,
                `${LAYER}/adapters/*.ts`,
                `${LAYER}/transport/**`,
                `${LAYER}/wire/**`,
              ],
              "app tests run over the in-memory fakes (adapters/fakes) only (ADR 0008)",
            ),
          ],
        },
      ],
    },
  },
  {
    files: [`${SRC}/domain/**/*.ts`],
    rules: {
      "no-restricted-imports": restrictPackages(
        [...INFRA_PACKAGES, "@warden/contracts", "@warden/contracts/*"],
        "domain/ is pure: no I/O driver, transport or generated proto type (ADR 0008)",
      ),
    },
  },
  {
    files: [`${SRC}/app/**/*.ts`],
    rules: {
      "no-restricted-imports": restrictPackages(
        [...INFRA_PACKAGES, "@warden/contracts", "@warden/contracts/*"],
        "app/ works over ports; drivers and wire types belong in adapters/ and transport/ (ADR 0008)",
      ),
    },
  },
  {
    // Libraries serve services, never the other way round (applications live in apps/). The one
    // exception is the agent SDK's integration tests: a client of the services, tested against the
    // real ones started in-process (its src/ stays bound by the rule).
    files: ["libs/*/src/**/*.ts", "libs/*/test/**/*.ts"],
    ignores: ["libs/sdk/test/**"],
    rules: {
      "no-restricted-imports": restrictPackages(
        servicePackages.flatMap((name) => [name, `${name}/*`]),
        "libs/ import no service (ADR 0008)",
      ),
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: [zone("**/libs/*/{src,test}/**", ["**/services/**"], "libs/ import no service (ADR 0008)")],
        },
      ],
    },
  },
  {
    // Applications (the CLI) use the services' public APIs — gRPC, events, a package's index —
    // never a service's files (issue #15).
    files: ["apps/*/src/**/*.ts"],
    rules: {
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: [
            zone(
              "**/apps/*/src/**",
              ["**/services/**"],
              "apps/ use the services' public APIs (gRPC, events, package index), not their files",
            ),
          ],
        },
      ],
    },
  },
  {
    // process.env is read in config.ts only (STYLE.md item 4); scripts and tests own their env.
    files: ["apps/*/src/**/*.ts", "libs/*/src/**/*.ts", "services/*/src/**/*.ts"],
    ignores: ["**/config.ts", "**/*.test.ts", "libs/testing/**"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "read configuration in config.ts only" },
      ],
    },
  },
  {
    // Temporal workflow code runs in a deterministic sandbox: no Node built-ins, no I/O.
    files: [
      "services/*/src/workflows/**/*.ts",
      "libs/telemetry/src/temporal-workflow-interceptors.ts",
      "libs/*/test/fixtures/*workflows.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "fs", "path", "crypto", "http", "https", "net", "child_process"],
              message: "workflow code must be deterministic: no Node built-ins",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.config.ts", "**/*.config.mjs", "eslint.config.mjs"],
    rules: { "import-x/no-default-export": "off" },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
