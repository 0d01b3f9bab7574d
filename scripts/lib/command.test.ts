// The command frame: what a command's run gets (environment, names, replication settings, the
// report in either form) and how a failure reaches the operator, once, in the command's form.
import { describe, expect, it } from "vitest";
import { captureIo } from "../../test/support/cli-io";
import { defineCommand, type CommandContext } from "./command";
import { CliError, EXIT, PipelineError } from "./errors";

describe("a tool", () => {
  const seen: CommandContext[] = [];
  const tool = defineCommand({
    name: "probe",
    help: "Usage: probe",
    options: { fail: { type: "string" } },
    async run(ctx) {
      seen.push(ctx);
      if (ctx.values.fail === "network") throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      if (ctx.values.fail === "target") throw new CliError("unknown primary pool: no user pool named x", EXIT.TARGET);
      ctx.report({ pool: ctx.names.userPool("primary"), attributes: [...ctx.replication.replicated].sort() }, (r) => `pool ${r.pool}`);
      return EXIT.OK;
    },
  });

  it("runs with the resolved environment, its names and the replicator's settings; reports JSON or text", async () => {
    const human = captureIo();
    expect(await tool.run(["--env", "dev"], human)).toBe(EXIT.OK);
    expect(human.out).toBe("pool cdr-dev-users-primary\n");
    const json = captureIo();
    expect(await tool.run(["--env", "dev", "--json"], json)).toBe(EXIT.OK);
    expect(JSON.parse(json.out)).toMatchObject({ pool: "cdr-dev-users-primary", attributes: expect.arrayContaining(["email"]) });
    expect(seen.at(-1)).toMatchObject({ name: "probe", json: true, roles: ["primary", "dr"], env: { name: "dev" } });
  });

  it("answers --help before reading --env", async () => {
    const io = captureIo();
    expect(await tool.run(["--help"], io)).toBe(EXIT.OK);
    expect(io.out).toBe("Usage: probe\n");
  });

  it("reports a failure once, as `error: <line>` with its exit code, worded for the sandbox when the target is local", async () => {
    const usage = captureIo();
    expect(await tool.run(["--env", "dev", "--bogus"], usage)).toBe(EXIT.USAGE);
    expect(usage.err).toBe("error: unknown flag '--bogus'\n");
    const target = captureIo();
    expect(await tool.run(["--env", "dev", "--fail", "target"], target)).toBe(EXIT.TARGET);
    expect(target.err).toBe("error: unknown primary pool: no user pool named x\n");
    const network = captureIo();
    expect(await tool.run(["--env", "local", "--fail", "network"], network)).toBe(EXIT.TARGET);
    expect(network.err).toMatch(/^error: cannot reach the sandbox at http:\/\/\S+ \(ECONNREFUSED\): start it with `npm run sandbox`/);
    expect(network.out).toBe("");
  });

  it("throws the failure instead when another command runs it as a step of its own", async () => {
    await expect(tool.execute(["--env", "dev", "--fail", "target"], captureIo())).rejects.toMatchObject({ exitCode: EXIT.TARGET });
  });
});

describe("a pipeline step", () => {
  const step = defineCommand({
    name: "probe-step",
    kind: "step",
    options: { fail: { type: "string" } },
    async run({ values, roles, positionals }) {
      if (values.fail === "pipeline") throw new PipelineError("apply the primary stack first");
      if (values.fail === "other") throw new Error("boom");
      return roles.length + positionals.length * 10;
    },
  });

  it("reads --env and --stack (default both stacks) and keeps positional arguments", async () => {
    expect(await step.run(["--env", "dev"], captureIo())).toBe(2);
    expect(await step.run(["dr", "--env", "dev", "--stack", "dr"], captureIo())).toBe(11);
  });

  it("reports a PipelineError as `<name>: <message>`, anything else with its stack, and exits 1", async () => {
    const bad = captureIo();
    expect(await step.run(["--env", "dev", "--stack", "both"], bad)).toBe(1);
    expect(bad.err).toBe("probe-step: --stack must be primary, dr or all (got both)\n");
    const missing = captureIo();
    expect(await step.run([], missing)).toBe(1);
    expect(missing.err).toBe("probe-step: --env <local|dev|staging|prod> is required\n");
    const refused = captureIo();
    expect(await step.run(["--env", "dev", "--fail", "pipeline"], refused)).toBe(1);
    expect(refused.err).toBe("probe-step: apply the primary stack first\n");
    const crashed = captureIo();
    expect(await step.run(["--env", "dev", "--fail", "other"], crashed)).toBe(1);
    expect(crashed.err).toMatch(/^probe-step failed: Error: boom\n {4}at /);
  });
});
