// A stand-in terraform for running the pipeline's scripts (`npm run apply`, `npm run failover`)
// without AWS: it records every command it is given, answers `plan` with exit 2 (changes),
// `show -json` and `output -json` with JSON files the test writes, `init` with terraform's
// "Backend configuration changed" error when told to (until run with -reconfigure), and succeeds at
// the rest. The
// scripts find it through TERRAFORM_BIN (scripts/lib/tools.ts findTerraform), as they would a
// real one.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FakeTerraform {
  dir: string;
  /** What to pass the script: TERRAFORM_BIN and where the answers are. */
  env: NodeJS.ProcessEnv;
  /** The plan `show -json` prints (terraform's JSON plan format). */
  setPlan(plan: unknown): void;
  /** The outputs `output -json` prints, as terraform prints them ({ name: { value } }). */
  setOutputs(outputs: Record<string, string>): void;
  /** Makes `init` fail as terraform does when the backend changed, unless given -reconfigure. */
  setBackendChanged(changed: boolean): void;
  /** Every command run so far, one argument list each. */
  calls(): string[][];
}

export function fakeTerraform(): FakeTerraform {
  const dir = mkdtempSync(join(tmpdir(), "fake-tf-"));
  const bin = join(dir, "terraform");
  const calls = join(dir, "calls");
  const plan = join(dir, "plan.json");
  const outputs = join(dir, "outputs.json");
  const backendChanged = join(dir, "backend-changed");
  writeFileSync(plan, "{}");
  writeFileSync(outputs, "{}");
  writeFileSync(
    bin,
    [
      "#!/bin/sh",
      `printf '%s\\n' "$*" >> '${calls}'`,
      'case "$1" in',
      `  init) if [ -f '${backendChanged}' ] && ! printf '%s' "$*" | grep -q -- -reconfigure; then`,
      "          printf '\\nError: Backend configuration changed\\n\\nA change in the backend configuration has been detected, which may require\\nmigrating existing state.\\n' >&2",
      "          exit 1",
      "        fi;;",
      "  plan) exit 2;;",
      `  show) cat '${plan}';;`,
      `  output) cat '${outputs}';;`,
      `  state) echo '{"serial": 7}';;`,
      "esac",
      "exit 0",
      "",
    ].join("\n"),
  );
  chmodSync(bin, 0o755);
  return {
    dir,
    env: { TERRAFORM_BIN: bin },
    setPlan: (p) => writeFileSync(plan, JSON.stringify(p)),
    setBackendChanged: (changed) => (changed ? writeFileSync(backendChanged, "") : rmSync(backendChanged, { force: true })),
    setOutputs: (o) => writeFileSync(outputs, JSON.stringify(Object.fromEntries(Object.entries(o).map(([k, value]) => [k, { value }])))),
    calls: () => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split(" ")) : []),
  };
}
