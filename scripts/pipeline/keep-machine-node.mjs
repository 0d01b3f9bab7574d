// npm postinstall: the optional dependency node-<platform>-<arch> (Node.js 24, the Lambda runtime
// the sandbox runs functions on) declares a `node` bin, and npm links it into node_modules/.bin,
// which npm scripts put first on PATH: every tool (tsx, vitest, cdktf) would silently run on that
// Node instead of the machine's. The sandbox finds the binary through the package itself
// (sandbox/lambda/node.ts), so the link is removed.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules", ".bin");
for (const name of ["node", "node.cmd", "node.ps1"]) rmSync(join(bin, name), { force: true });
