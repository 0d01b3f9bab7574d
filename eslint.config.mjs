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
  ...layers.map(({ files, ignores = [], patterns }) => ({ files, ignores, rules: { "no-restricted-imports": ["error", { patterns }] } })),
);
