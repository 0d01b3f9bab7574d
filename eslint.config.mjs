import js from "@eslint/js";
import tseslint from "typescript-eslint";

// sandbox/ is its own workspace (@cognito-dr/sandbox), used through its public entry only, and it
// never reaches into the project. Relative import paths are matched per folder depth, so that
// `../sandbox` from test/e2e/ (that is test/sandbox/) stays allowed while `../../sandbox` does not.
const SOURCES = "{ts,mts,cts,js,mjs,cjs}";
const MAX_DEPTH = 8;
const up = (n) => "\\.\\./".repeat(n);

/** Outside sandbox/: a relative path that names the root's sandbox/ folder. */
const noRelativeSandbox = Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => ({
  files: [`${"*/".repeat(depth)}*.${SOURCES}`],
  ignores: ["sandbox/**"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            regex: `^${depth === 0 ? "\\./" : up(depth)}sandbox(/|$)`,
            message: "Import the sandbox as @cognito-dr/sandbox (its public entry, sandbox/index.ts), not by a relative path.",
          },
          {
            regex: "^@cognito-dr/sandbox/",
            message: "Only the sandbox's public entry is imported: @cognito-dr/sandbox (export what is needed from sandbox/index.ts).",
          },
        ],
      },
    ],
  },
}));

/** Inside sandbox/: a relative path that climbs out of it (to handlers/, scripts/, stacks/, modules/, test/, bench/, ...). */
const noEscapeFromSandbox = Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => ({
  files: [`sandbox/${"*/".repeat(depth)}*.${SOURCES}`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            regex: `^(\\./)?(\\.\\./){${depth + 1},}`,
            message: "The sandbox workspace imports nothing of the project: what it needs from it is handed in (e.g. startSandbox's cognitoQuotas); tests that need the project live in test/sandbox/.",
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["node_modules/", "cdktf.out/", ".build/", ".gen/", ".sandbox/", "bench/results/", ".stryker-tmp*/", "reports/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  ...noRelativeSandbox,
  ...noEscapeFromSandbox,
);
