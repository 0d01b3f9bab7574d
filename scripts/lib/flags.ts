// Reading a command's flags with node:util parseArgs (strict: unknown flags are errors) and the
// --env it names. Two readings, as the two kinds of command have always had them:
// - an operator tool's: the common flags (--env, region overrides, --json, --progress, --help),
//   no stray arguments, every problem a CliError (exit 2) in the tool's own words;
// - a pipeline step's: --env and --stack (primary, dr or all), positional arguments allowed,
//   every problem a PipelineError.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { environment, parseEnvName, type Environment } from "../../stacks/environments";
import type { Role } from "../../stacks/names";
import { currentCommit } from "./commit";
import { CliError, PipelineError } from "./errors";

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | undefined>;

/** Flags every operator tool takes. */
export const COMMON_OPTIONS = {
  env: { type: "string" },
  "primary-region": { type: "string" },
  "dr-region": { type: "string" },
  json: { type: "boolean", default: false },
  progress: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies Options;

export const COMMON_HELP = `Target:
  --env <name>             local | dev | staging | prod (required). Regions, pool, table and queue
                           names come from stacks/environments.ts; local uses the sandbox at
                           SANDBOX_ENDPOINT (default http://127.0.0.1:4599)
  --primary-region <r>     override the environment's primary region
  --dr-region <r>          override the environment's DR region
Output:
  --json                   machine-readable report on stdout
  --progress               progress bar on stderr even when it is not a terminal
  -h, --help               this text`;

/** Parses argv against the common flags plus `extra`; unknown flags and stray arguments are usage errors. */
export function parseFlags<O extends Options>(argv: string[], extra: O): Values {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...extra }, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}" (flags start with --)`);
    return values as Values;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(cleanParseError((err as Error).message));
  }
}

/** node's parse errors in the tools' words: "Unknown option '--x'. To specify ..." -> "unknown flag '--x'". */
export function cleanParseError(message: string): string {
  const first = message.split(/\. (To specify|Did you)/)[0].trim();
  return first.replace(/^Option '(.*?)' argument missing$/, "flag $1 needs a value").replace(/^Unknown option/, "unknown flag");
}

export function numberFlag(values: Values, name: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const { min = 0, max = Number.POSITIVE_INFINITY } = opts;
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || n < min || n > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `between ${min} and ${max}`;
    throw new CliError(`--${name} must be ${opts.integer ? "an integer" : "a number"} ${range} (got "${String(raw)}")`);
  }
  return n;
}

export function stringFlag(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;

export function checkRegion(flag: string, region: string): string {
  if (!REGION.test(region)) throw new CliError(`${flag} "${region}" is not an AWS region name (like us-east-1)`);
  return region;
}

/** The environment named by --env, with region overrides applied (an operator tool's reading). */
export function resolveEnvironment(values: Values, env: Record<string, string | undefined> = process.env): Environment {
  const name = stringFlag(values, "env");
  if (!name) throw new CliError("--env is required (local, dev, staging or prod)");
  let resolved: Environment;
  try {
    resolved = environment(parseEnvName(name), env);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const primaryRegion = stringFlag(values, "primary-region");
  const drRegion = stringFlag(values, "dr-region");
  if (primaryRegion) resolved = { ...resolved, primaryRegion: checkRegion("--primary-region", primaryRegion) };
  if (drRegion) resolved = { ...resolved, drRegion: checkRegion("--dr-region", drRegion) };
  checkRegion("primary region", resolved.primaryRegion);
  checkRegion("DR region", resolved.drRegion);
  if (resolved.primaryRegion === resolved.drRegion) throw new CliError(`primary and DR region are both ${resolved.primaryRegion}; they must differ`);
  return resolved;
}

export const ROLES: readonly Role[] = ["primary", "dr"];

/** Flags every pipeline step takes. */
export const STEP_OPTIONS = { env: { type: "string" }, stack: { type: "string" } } as const satisfies Options;

/** A pipeline step's flags: --env, --stack and `extra`; positional arguments are the step's to read. */
export function parseStepFlags(argv: string[], extra: Options): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...STEP_OPTIONS, ...extra } });
    return { values: values as Values, positionals };
  } catch (err) {
    throw new PipelineError(cleanParseError((err as Error).message));
  }
}

/** A pipeline step's --env (required) and --stack (default: all). */
export function resolveStacks(values: Values): { env: Environment; roles: Role[] } {
  // The stacks record the commit they are applied from (their deployed_commit output).
  process.env.DEPLOY_COMMIT ??= currentCommit();
  if (!values.env) throw new PipelineError("--env <local|dev|staging|prod> is required");
  let env: Environment;
  try {
    env = environment(parseEnvName(values.env as string));
  } catch (e) {
    throw new PipelineError((e as Error).message);
  }
  const stack = (values.stack as string | undefined) ?? "all";
  if (!["primary", "dr", "all"].includes(stack)) throw new PipelineError(`--stack must be primary, dr or all (got ${stack})`);
  return { env, roles: stack === "all" ? [...ROLES] : [stack as Role] };
}
