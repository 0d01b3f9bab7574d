// `npm run sandbox` (scripts/drills/sandbox.ts): starts, prints the endpoint and env, serves, and on SIGTERM
// stops cleanly (exit 0, moto gone).

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { motoMissing } from "./support";

const skip = motoMissing();

describe.skipIf(skip)("sandbox CLI", () => {
  it("prints the endpoint and env, answers, and stops cleanly on SIGTERM", { timeout: 60_000 }, async () => {
    const tsx = createRequire(import.meta.url).resolve("tsx/cli");
    const cli = fileURLToPath(new URL("../../scripts/drills/sandbox.ts", import.meta.url));
    const child = spawn(process.execPath, [tsx, cli], { env: { ...process.env, SANDBOX_PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 45_000;
    while (!/Ctrl-C to stop/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const endpoint = /sandbox gateway: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const moto = /moto_server: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(endpoint, out).toBeDefined();
    expect(out).toContain(`export AWS_ENDPOINT_URL=${endpoint}`);
    expect(out).toMatch(/export AWS_ACCESS_KEY_ID=\S+/);
    expect(out).toMatch(/export AWS_SECRET_ACCESS_KEY=\S+/);
    const health = await (await fetch(`${endpoint}/__sandbox/health`)).json();
    expect(health).toMatchObject({ ok: true, motoEndpoint: moto });

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect(fetch(`${moto}/moto-api/data.json`)).rejects.toThrow();
  });
});
