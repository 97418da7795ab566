import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const NAMED_EXPORTS = { selector: "ExportDefaultDeclaration", message: "Use named exports." };

/**
 * zod's `z` object names all ~900 of its exports, so a bundle that imports it builds every one
 * in each command that loads zod; a namespace import lets the bundler keep only what is used
 * (`envforge hash` starts about 3 ms sooner, bench/cli.bench.ts).
 */
const ZOD_NAMESPACE_IMPORT = {
  selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
  message: 'Write `import * as z from "zod"`: the bundle then keeps only the parts of zod in use.',
};

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "dist-check/**",
      "node_modules/**",
      "coverage/**",
      "web/dist/**",
      ".envforge-test/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-syntax": ["error", NAMED_EXPORTS, ZOD_NAMESPACE_IMPORT],
    },
  },
  {
    files: ["**/*.cjs", "**/*.js", "**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
  {
    // Tools load their configuration from a default export.
    files: ["*.config.ts", "web/vite.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    // The web UI speaks only the public HTTP API (ARCHITECTURE.md): it never imports src/.
    files: ["web/**/*.ts", "web/**/*.tsx"],
    languageOptions: { globals: globals.browser },
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "(^|/)src/|^\\.\\./\\.\\./",
              message: "web/ uses the HTTP API only (web/src/api.ts), never src/ of the server",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/definition/**/*.ts", "src/recipe/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        NAMED_EXPORTS,
        ZOD_NAMESPACE_IMPORT,
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "Pure core: take the time as an argument.",
        },
        {
          selector: "MemberExpression[object.name='Date'][property.name='now']",
          message: "Pure core: take the time as an argument.",
        },
        {
          selector: "MemberExpression[object.name='process']",
          message: "Pure core: take environment values as arguments.",
        },
      ],
    },
  },
);
