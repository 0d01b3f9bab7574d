import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Imports only go down (ARCHITECTURE.md, "Layout"): scripts/bench -> stacks -> modules ->
// handlers. Lambda code never imports deploy configuration (shared constants live in
// handlers/contract.ts), and provider bindings are imported only in modules/, so a swap of the
// binding package touches one folder. Tests may reach their helpers in test/support.
const up = (folders, why) => ({ regex: `^(\\.\\./)+(${folders.join("|")})(/|$)`, message: why });
const layers = [
  {
    files: ["handlers/**/*.ts"],
    ignores: ["**/*.test.ts"],
    patterns: [up(["stacks", "modules", "scripts", "bench", "sandbox", "test"], "Lambda code imports only handlers/ (constants it shares with the stacks live in handlers/contract.ts).")],
  },
  { files: ["modules/**/*.ts"], ignores: ["**/*.test.ts"], patterns: [up(["stacks", "scripts", "bench", "test"], "Modules take plain props; stacks turn an Environment into them.")] },
  {
    files: ["stacks/**/*.ts"],
    patterns: [
      up(["scripts", "bench", "test"], "Stacks import only modules/ and handlers/contract.ts."),
      { group: ["@cdktf/provider-aws", "@cdktf/provider-aws/*"], message: "Provider bindings are imported only in modules/ (one construct per AWS concept)." },
    ],
  },
  { files: ["scripts/**/*.ts"], ignores: ["**/*.test.ts"], patterns: [up(["bench", "test"], "Tools do not import benchmarks or tests.")] },
];

// sandbox/ is its own workspace (@cognito-dr/sandbox), used through its public entry only, and it
// never reaches into the project. Relative import paths are matched per folder depth, so that
// `../sandbox` from test/e2e/ (that is test/sandbox/) stays allowed while `../../sandbox` does not.
const SOURCES = "{ts,mts,cts,js,mjs,cjs}";
const MAX_DEPTH = 8;
const upN = (n) => "\\.\\./".repeat(n);

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
            regex: `^${depth === 0 ? "\\./" : upN(depth)}sandbox(/|$)`,
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
  // Its own rule name: configs that set the same rule for one file replace each other's options.
  ...layers.map(({ files, ignores = [], patterns }) => ({ files, ignores, rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns }] } })),
);
