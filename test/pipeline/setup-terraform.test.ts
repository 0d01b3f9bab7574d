// The setup action installs terraform only after verifying it the way HashiCorp documents: the
// release's SHA256SUMS file carries a valid signature by HashiCorp's release key (checked against
// its published fingerprint), and the zip's SHA-256 is the one in that file. The step's script is
// read from the parsed action and run with bash as GitHub runs it, against a stand-in release
// (file:// URLs) signed by a key made for the test; the addresses and fingerprint it uses in CI are
// checked as written.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync, strToU8 } from "fflate";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../support/npm-run";
import { requireTool } from "../../scripts/lib/tools";

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
const action = parse(readFileSync(join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8")) as { runs: { steps: Step[] } };
const install = action.runs.steps.find((s) => s.id === "terraform");

const VERSION = "9.9.9";
const gpgMissing = requireTool(spawnSync("gpg", ["--version"]).status === 0 && spawnSync("unzip", ["-v"]).status === 0, "gpg and unzip (apt-get install gnupg unzip)");

let dir: string;
const homes: string[] = [];
let signer: { home: string; fpr: string };
let stranger: { home: string; fpr: string };

function gpg(home: string, ...args: string[]): string {
  const r = spawnSync("gpg", ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gpg ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function newKey(name: string): { home: string; fpr: string } {
  const home = join(dir, `gnupg-${name}`);
  mkdirSync(home, { mode: 0o700 });
  homes.push(home);
  gpg(home, "--quick-gen-key", `${name} <${name}@example.com>`, "ed25519", "sign", "never");
  const fpr = gpg(home, "--with-colons", "--fingerprint").split("\n").find((l) => l.startsWith("fpr:"))!.split(":")[9];
  return { home, fpr };
}

/** A release folder as releases.hashicorp.com lays it out, SHA256SUMS signed by `by`. */
function release(name: string, opts: { by: { home: string }; tamper?: boolean }): string {
  const root = join(dir, name);
  const folder = join(root, "terraform", VERSION);
  mkdirSync(folder, { recursive: true });
  const zipName = `terraform_${VERSION}_linux_amd64.zip`;
  const zip = zipSync({ terraform: [strToU8(`#!/bin/sh\necho "Terraform v${VERSION}"\n`), { os: 3, attrs: 0o755 << 16 }] });
  const sums = `${createHash("sha256").update(zip).digest("hex")}  ${zipName}\n${"0".repeat(64)}  terraform_${VERSION}_darwin_arm64.zip\n`;
  writeFileSync(join(folder, zipName), opts.tamper ? Buffer.concat([Buffer.from(zip), Buffer.from("x")]) : zip);
  writeFileSync(join(folder, `terraform_${VERSION}_SHA256SUMS`), sums);
  gpg(opts.by.home, "--detach-sign", "--output", join(folder, `terraform_${VERSION}_SHA256SUMS.sig`), join(folder, `terraform_${VERSION}_SHA256SUMS`));
  return root;
}

function publicKey(name: string, ...keys: Array<{ home: string }>): string {
  const file = join(dir, `${name}.asc`);
  writeFileSync(file, keys.map((k) => gpg(k.home, "--armor", "--export")).join("\n"));
  return file;
}

/** The action's install script, run as GitHub runs it, with the release and key from `overrides`. */
function runInstall(overrides: { RELEASES_URL: string; HASHICORP_KEY_URL: string; HASHICORP_KEY_FINGERPRINT: string }, temp = mkdtempSync(join(dir, "runner-"))) {
  const path = join(temp, "github_path");
  writeFileSync(path, "");
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", install!.run!], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...install!.env, TERRAFORM_VERSION: VERSION, ...overrides, RUNNER_TEMP: temp, RUNNER_ARCH: "X64", GITHUB_PATH: path },
  });
  const added = readFileSync(path, "utf8").trim();
  return { code: r.status, out: r.stdout + r.stderr, bin: added ? join(added, "terraform") : undefined };
}

beforeAll(() => {
  if (gpgMissing) return;
  dir = mkdtempSync(join(tmpdir(), "cdr-setup-tf-"));
  signer = newKey("release");
  stranger = newKey("stranger");
});
afterAll(() => {
  for (const home of homes) spawnSync("gpgconf", ["--homedir", home, "--kill", "all"]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("setup action: terraform, verified", () => {
  it("downloads from releases.hashicorp.com and checks HashiCorp's documented key, not hashicorp/setup-terraform", () => {
    expect(install, "a step with id terraform").toBeDefined();
    expect(install!.env).toMatchObject({
      TERRAFORM_VERSION: "1.11.4",
      RELEASES_URL: "https://releases.hashicorp.com",
      HASHICORP_KEY_URL: "https://www.hashicorp.com/.well-known/pgp-key.txt",
      HASHICORP_KEY_FINGERPRINT: "C874011F0AB405110D02105534365D9472D7468F",
    });
    expect(action.runs.steps.some((s) => s.uses?.startsWith("hashicorp/setup-terraform@"))).toBe(false);
  });

  describe.skipIf(gpgMissing !== undefined)("the install script", () => {
    const url = (p: string) => `file://${p}`;

    it("installs a release whose SHA256SUMS the key signed and whose zip matches it, and puts it on PATH", () => {
      const r = runInstall({ RELEASES_URL: url(release("good", { by: signer })), HASHICORP_KEY_URL: url(publicKey("good", signer)), HASHICORP_KEY_FINGERPRINT: signer.fpr });
      expect(r.code, r.out).toBe(0);
      expect(existsSync(r.bin!)).toBe(true);
      expect(spawnSync(r.bin!, ["version"], { encoding: "utf8" }).stdout).toContain(`Terraform v${VERSION}`);
    });

    it("installs again in the same job (the failover sets up a second time, for the deployed commit)", () => {
      const inputs = { RELEASES_URL: url(release("twice", { by: signer })), HASHICORP_KEY_URL: url(publicKey("twice", signer)), HASHICORP_KEY_FINGERPRINT: signer.fpr };
      const temp = mkdtempSync(join(dir, "runner-"));
      expect(runInstall(inputs, temp).code).toBe(0);
      const again = runInstall(inputs, temp);
      expect(again.code, again.out).toBe(0);
    });

    it("refuses a zip whose checksum is not the signed one", () => {
      const r = runInstall({ RELEASES_URL: url(release("tampered", { by: signer, tamper: true })), HASHICORP_KEY_URL: url(publicKey("t", signer)), HASHICORP_KEY_FINGERPRINT: signer.fpr });
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toContain(`terraform_${VERSION}_linux_amd64.zip does not match`);
      expect(r.bin).toBeUndefined();
    });

    it("refuses SHA256SUMS signed by another key, even one the fetched key file also carries", () => {
      const r = runInstall({ RELEASES_URL: url(release("stranger", { by: stranger })), HASHICORP_KEY_URL: url(publicKey("s", signer)), HASHICORP_KEY_FINGERPRINT: signer.fpr });
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toContain("signature");
      const both = runInstall({ RELEASES_URL: url(release("stranger2", { by: stranger })), HASHICORP_KEY_URL: url(publicKey("both", signer, stranger)), HASHICORP_KEY_FINGERPRINT: signer.fpr });
      expect(both.code, both.out).not.toBe(0);
      expect(both.bin).toBeUndefined();
    });

    it("refuses a key file whose key is not the documented fingerprint", () => {
      const r = runInstall({ RELEASES_URL: url(release("wrongkey", { by: signer })), HASHICORP_KEY_URL: url(publicKey("w", signer)), HASHICORP_KEY_FINGERPRINT: "C874011F0AB405110D02105534365D9472D7468F" });
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toContain("not HashiCorp's release key");
      expect(r.bin).toBeUndefined();
    });
  });
});
