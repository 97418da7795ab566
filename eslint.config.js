import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

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
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
      ],
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
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
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
