// The terraform runner passes the flags the pipeline relies on: every command that takes the state
// lock waits for it (-lock-timeout), read-only plans take none (-lock=false), init verifies the
// committed provider lock file (-lockfile=readonly), and applies of a reviewed plan apply that file
// and nothing else. Runs the real runner against a stand-in terraform that records its arguments.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_TIMEOUT, terraformRunner, type TerraformRunner } from "../../scripts/lib/terraform";

let dir: string;
let stack: string;
let calls: string;
let tf: TerraformRunner;
const saved = process.env.TERRAFORM_BIN;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tf-runner-"));
  stack = join(dir, "cdr-dev-dr");
  mkdirSync(stack);
  calls = join(dir, "calls");
  const fake = join(dir, "terraform");
  // plan: exit 2 (changes); show/output/state pull: JSON on stdout.
  writeFileSync(
    fake,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\ncase "$1" in\n  plan) exit 2;;\n  show|output) echo '{}';;\n  state) echo '{"serial": 7}';;\nesac\nexit 0\n`,
  );
  chmodSync(fake, 0o755);
  process.env.TERRAFORM_BIN = fake;
  tf = terraformRunner(join(dir, "logs"));
});
afterAll(() => {
  if (saved === undefined) delete process.env.TERRAFORM_BIN;
  else process.env.TERRAFORM_BIN = saved;
  rmSync(dir, { recursive: true, force: true });
});

const lastCall = () => readFileSync(calls, "utf8").trim().split("\n").pop()!.split(" ");

describe("terraform runner flags", () => {
  it("init copies the committed lock file in and refuses to change it", async () => {
    await tf.init(stack);
    expect(lastCall()).toEqual(expect.arrayContaining(["init", "-input=false", "-lockfile=readonly", `-lock-timeout=${LOCK_TIMEOUT}`]));
    expect(readFileSync(join(stack, ".terraform.lock.hcl"), "utf8")).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws"/);
  });

  it("plans to a file waiting for the lock, or read-only without it", async () => {
    expect((await tf.planToFile(stack, "x.tfplan")).changes).toBe(true);
    expect(lastCall()).toEqual(expect.arrayContaining(["plan", "-detailed-exitcode", "-out=x.tfplan", `-lock-timeout=${LOCK_TIMEOUT}`]));
    await tf.planToFile(stack, "x.tfplan", { lock: false });
    expect(lastCall()).toContain("-lock=false");
    expect(lastCall().some((a) => a.startsWith("-lock-timeout"))).toBe(false);
  });

  it("applies the plan file given, never -auto-approve, waiting for the lock", async () => {
    await tf.applyPlan(stack, "x.tfplan");
    const args = lastCall();
    expect(args[0]).toBe("apply");
    expect(args.at(-1)).toBe("x.tfplan");
    expect(args).toContain(`-lock-timeout=${LOCK_TIMEOUT}`);
    expect(args).not.toContain("-auto-approve");
  });

  it("every state-locking command waits for the lock", async () => {
    await tf.apply(stack);
    await tf.destroy(stack);
    expect(await tf.stateSerial(stack)).toBe(7);
    const locking = readFileSync(calls, "utf8").trim().split("\n").filter((l) => /^(init|plan|apply|destroy)\b/.test(l) && !l.includes("-lock=false"));
    expect(locking.length).toBeGreaterThanOrEqual(5);
    for (const l of locking) expect(l).toContain(`-lock-timeout=${LOCK_TIMEOUT}`);
  });

  it("defaults the lock timeout to 10 minutes (TF_LOCK_TIMEOUT overrides)", () => {
    expect(LOCK_TIMEOUT).toBe(process.env.TF_LOCK_TIMEOUT ?? "10m");
  });
});
