// Type-aware lint (STYLE.md item 14): floating promises and import cycles are errors.
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "libs/contracts/src/gen/**", ".warden/**", "tools/**", "coverage/**"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
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
