// One frame for the commands: a command declares its name, help, options and run(ctx); the frame
// reads the flags (node:util parseArgs, strict), answers --help, resolves the environment, hands
// run a context instead of module state, and reports a failure once, in the command's own form.
//
// Two kinds of command, each keeping the flags, output and exit codes it has always had:
// - "tool" (backfill, reconcile, drift, redrive): the common operator flags (flags.ts), a
//   failure as `error: <one line>` with the exit code of EXIT (errors.ts), the process's exit
//   code set and its event loop left to drain;
// - "step" (what the pipeline and the break-glass workflows run: plan, apply, deploy, smoke,
//   failover, failback): --env and --stack, a PipelineError as `<name>: <message>`, anything
//   else as `<name> failed: <stack>`, exit 1, the process ended with the code.
//
// The argument parser stays node:util parseArgs rather than commander: the help texts are
// prose with examples and the exit-code table (commander would re-lay them out), the error
// wording is what operators and tests read, and commander would still need the range checks
// of numberFlag; parseArgs is maintained with Node itself and needs no dependency in a
// break-glass path.
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { replicationConfig, type ReplicationConfig } from "../../handlers/replication/replication-config";
import type { Environment } from "../../stacks/environments";
import { names, type Names, type Role } from "../../stacks/names";
import { bothRegions, lambdaClient, type RegionClients } from "./clients";
import { describeError, EXIT, PipelineError } from "./errors";
import { parseFlags, parseStepFlags, resolveEnvironment, resolveStacks, ROLES, type Options, type Values } from "./flags";
import { processIo, Progress, type CliIo } from "./output";
import { PIPELINE_STEPS, pipelineSession, useSession, type PipelineStep } from "./pipeline-session";

/** SDK clients of the environment, each built on first use. */
export interface CommandClients {
  readonly primary: RegionClients;
  readonly dr: RegionClients;
  lambda(region: string): LambdaClient;
}

export interface CommandContext {
  readonly name: string;
  /** The parsed flags (the kind's common ones and the command's own). */
  readonly values: Values;
  /** Arguments that are not flags (steps only; tools refuse them). */
  readonly positionals: string[];
  /** --env, resolved (tools: with the --primary-region/--dr-region overrides). */
  readonly env: Environment;
  /** The environment's resource names (stacks/names.ts). */
  readonly names: Names;
  /** The stacks --stack selects (steps; tools work on both). */
  readonly roles: Role[];
  readonly clients: CommandClients;
  /** The replicator's settings in this environment: the attributes it copies. */
  readonly replication: ReplicationConfig;
  readonly io: CliIo;
  /** --json: the report goes to stdout as JSON. */
  readonly json: boolean;
  /** Prints the report: JSON under --json, else the human text. */
  report<T>(report: T, human: (report: T) => string): void;
  /** A progress bar on stderr, shown on a terminal or with --progress. */
  progress(label: string, total?: number): Progress;
  readonly exit: typeof EXIT;
}

export interface CommandSpec {
  name: string;
  kind?: "tool" | "step";
  /** The --help text (tools). */
  help?: string;
  /** The command's own flags, beside its kind's common ones. */
  options: Options;
  run(ctx: CommandContext): Promise<number>;
}

export interface Command {
  readonly name: string;
  readonly help?: string;
  /** Runs with these flags; a failure is thrown (for a caller running the command as one of its own steps). */
  execute(argv: string[], io?: CliIo): Promise<number>;
  /** Runs and reports a failure on io's stderr as the process would; returns the exit code. */
  run(argv: string[], io?: CliIo): Promise<number>;
  /** The process entry point: process.argv in, the exit code out. */
  main(): void;
}

interface Kind {
  read(argv: string[], options: Options): { values: Values; positionals: string[] };
  resolve(values: Values): { env: Environment; roles: Role[] };
  /** Writes the failure and returns the exit code. */
  fail(name: string, err: unknown, io: CliIo, env: Environment | undefined): number;
  exit(code: number): void;
}

const KINDS: Record<"tool" | "step", Kind> = {
  tool: {
    read: (argv, options) => ({ values: parseFlags(argv, options), positionals: [] }),
    resolve: (values) => ({ env: resolveEnvironment(values), roles: [...ROLES] }),
    fail(_name, err, io, env) {
      // Network errors are worded for the sandbox when the target is `local`.
      const { message, exitCode } = describeError(err, { env });
      io.stderr(`error: ${message}\n`);
      if (process.env.CDR_DEBUG) io.stderr(`${(err as Error)?.stack ?? String(err)}\n`);
      return exitCode;
    },
    exit: (code) => void (process.exitCode = code),
  },
  step: {
    read: parseStepFlags,
    resolve: resolveStacks,
    fail(name, err, io) {
      const e = err as Error;
      io.stderr(`${e instanceof PipelineError ? `${name}: ${e.message}` : `${name} failed: ${e.stack ?? e.message}`}\n`);
      return 1;
    },
    exit: (code) => process.exit(code),
  },
};

function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

function context(name: string, read: { values: Values; positionals: string[] }, target: { env: Environment; roles: Role[] }, io: CliIo): CommandContext {
  const { env } = target;
  const regions = lazy(() => bothRegions(env));
  const lambdas = new Map<string, LambdaClient>();
  const replication = lazy(() => replicationConfig({ attributes: env.replication.attributes, customAttributes: env.replication.customAttributes }));
  return {
    name,
    values: read.values,
    positionals: read.positionals,
    env,
    names: names(env),
    roles: target.roles,
    clients: {
      get primary() {
        return regions().primary;
      },
      get dr() {
        return regions().dr;
      },
      lambda(region) {
        if (!lambdas.has(region)) lambdas.set(region, lambdaClient(env, region));
        return lambdas.get(region)!;
      },
    },
    get replication() {
      return replication();
    },
    io,
    json: read.values.json === true,
    report(report, human) {
      io.stdout(`${read.values.json === true ? JSON.stringify(report, null, 2) : human(report)}\n`);
    },
    progress: (label, total) => Progress.for(label, io, read.values, total),
    exit: EXIT,
  };
}

/**
 * `PIPELINE_STEP=<plan|primary|dr|failover|failback>` runs any command against `local` as that
 * workflow job's role (what the apply jobs' smoke, the verify job's drift and drift.yml run as in
 * GitHub), so the sandbox decides its calls with that role's policy. Real environments take the
 * job's credentials from the environment instead; the variable is ignored there.
 */
async function asPipelineJob(env: Environment): Promise<void> {
  const step = process.env.PIPELINE_STEP?.trim();
  if (!step || !env.sandboxEndpoint) return;
  if (!PIPELINE_STEPS.includes(step as PipelineStep)) throw new PipelineError(`PIPELINE_STEP must be one of ${PIPELINE_STEPS.join(", ")} (got ${step})`);
  const region = step === "dr" || step === "failover" ? env.drRegion : env.primaryRegion;
  useSession(await pipelineSession(env, step as PipelineStep, region));
}

export function defineCommand(spec: CommandSpec): Command {
  const kind = KINDS[spec.kind ?? "tool"];
  // `seen` carries the resolved environment to the failure report of this one run.
  async function attempt(argv: string[], io: CliIo, seen: { env?: Environment }): Promise<number> {
    const read = kind.read(argv, spec.options);
    if (spec.help && read.values.help) {
      io.stdout(`${spec.help}\n`);
      return EXIT.OK;
    }
    const target = kind.resolve(read.values);
    seen.env = target.env;
    await asPipelineJob(target.env);
    return spec.run(context(spec.name, read, target, io));
  }
  const command: Command = {
    name: spec.name,
    help: spec.help,
    execute: (argv, io = processIo) => attempt(argv, io, {}),
    async run(argv, io = processIo) {
      const seen: { env?: Environment } = {};
      try {
        return await attempt(argv, io, seen);
      } catch (err) {
        return kind.fail(spec.name, err, io, seen.env);
      }
    },
    main() {
      void command.run(process.argv.slice(2), processIo).then(kind.exit);
    },
  };
  return command;
}
