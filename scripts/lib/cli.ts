// Shared pieces of the operator CLIs (backfill, reconcile, drift, redrive): flag
// parsing with `--env` resolution, error messages without stack traces, the exit
// codes, a token-bucket rate limiter per Cognito request category, and a progress
// bar on stderr.
import { performance } from "node:perf_hooks";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { environment, parseEnvName, type Environment } from "../../stacks/environments";

/** Exit codes shared by every operator tool (each tool's --help says which it uses). */
export const EXIT = {
  /** Done; nothing found or everything repaired. */
  OK: 0,
  /** Drift found (or messages left) and not repaired. */
  DRIFT: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** Cannot reach the target: no credentials, unknown pool/queue/table, wrong region, sandbox down. */
  TARGET: 3,
  /** Ran to the end, but some users or messages failed (listed in the output). */
  PARTIAL: 4,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success (no drift, or all of it repaired)
  1  drift found and not repaired / work left (see the tool's description)
  2  usage error (unknown flag, bad value)
  3  target error: no or rejected credentials, unknown pool/queue/table, wrong region, sandbox not running
  4  finished, but some users or messages failed (listed in the report)`;

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
  }
}

export { categoryOf, COGNITO_QUOTAS, DEFAULT_QUOTA_SHARE, RegionLimiter, round, TokenBucket, type QuotaCategory, type RateReport } from "../../handlers/replication/rate-limit";
import { COGNITO_QUOTAS, DEFAULT_QUOTA_SHARE, round, type QuotaCategory, type RateReport } from "../../handlers/replication/rate-limit";

// ---- flags ----------------------------------------------------------------------------------

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Flags every tool takes. */
export const COMMON_OPTIONS = {
  env: { type: "string" },
  "primary-region": { type: "string" },
  "dr-region": { type: "string" },
  json: { type: "boolean", default: false },
  progress: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies Options;

/** Rate flags for tools that call Cognito user APIs. */
export const RATE_OPTIONS = {
  "quota-share": { type: "string" },
  "list-rate": { type: "string" },
  "create-rate": { type: "string" },
  "update-rate": { type: "string" },
  "read-rate": { type: "string" },
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

export const RATE_HELP = `Rate limits (requests/s per region; default: --quota-share of Cognito's quota):
  --quota-share <0..1>     share of each quota to use (default ${DEFAULT_QUOTA_SHARE})
  --list-rate <n>          ListUsers/ListUsersInGroup (quota UserList ${COGNITO_QUOTAS.UserList}/s)
  --create-rate <n>        AdminCreateUser (quota UserCreation ${COGNITO_QUOTAS.UserCreation}/s)
  --update-rate <n>        attribute/group/enable/disable/delete (quota UserUpdate ${COGNITO_QUOTAS.UserUpdate}/s)
  --read-rate <n>          AdminGetUser/AdminListGroupsForUser (quota UserRead ${COGNITO_QUOTAS.UserRead}/s)`;

export type Values = Record<string, string | boolean | undefined>;

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

function cleanParseError(message: string): string {
  // node's messages: "Unknown option '--x'. To specify a positional argument starting with a '-', ..."
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

/** The categories the tools call (never UserAccountRecovery). */
export type ToolCategory = Exclude<QuotaCategory, "UserAccountRecovery">;

/** Configured rate per category: explicit flag, else share × quota. */
export function rateLimits(values: Values): Record<ToolCategory, number> {
  const share = numberFlag(values, "quota-share", { min: 0.01, max: 1 }) ?? DEFAULT_QUOTA_SHARE;
  const flag = (name: string, category: QuotaCategory) => {
    const v = numberFlag(values, name, { min: 0.1 });
    return v ?? round(COGNITO_QUOTAS[category] * share, 2);
  };
  return {
    UserList: flag("list-rate", "UserList"),
    UserCreation: flag("create-rate", "UserCreation"),
    UserUpdate: flag("update-rate", "UserUpdate"),
    UserRead: flag("read-rate", "UserRead"),
  };
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;

export function checkRegion(flag: string, region: string): string {
  if (!REGION.test(region)) throw new CliError(`${flag} "${region}" is not an AWS region name (like us-east-1)`);
  return region;
}

/** The environment named by --env, with region overrides applied. */
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

// ---- errors ---------------------------------------------------------------------------------

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_REJECTED = new Set(["UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "InvalidSignatureException", "SignatureDoesNotMatch"]);
const NETWORK = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH"]);

function networkCode(err: AwsErrorShape | undefined, depth = 0): string | undefined {
  if (!err || depth > 4) return undefined;
  if (err.code && NETWORK.has(err.code)) return err.code;
  const errors = (err as { errors?: AwsErrorShape[] }).errors;
  for (const e of errors ?? []) {
    const c = networkCode(e, depth + 1);
    if (c) return c;
  }
  return networkCode(err.cause as AwsErrorShape | undefined, depth + 1);
}

/** One line for an operator, and the exit code; never a stack trace. */
export function describeError(err: unknown, target?: { env?: Environment }): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  const e = (err ?? {}) as AwsErrorShape;
  const name = e.name ?? "Error";
  const sandbox = target?.env?.sandboxEndpoint;
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) {
    return {
      message: "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), run `aws sso login`, or use --env local against the sandbox",
      exitCode: EXIT.TARGET,
    };
  }
  if (CREDENTIAL_REJECTED.has(name)) return { message: `AWS rejected the credentials (${name}): check the profile, the account and that the session has not expired`, exitCode: EXIT.TARGET };
  if (name === "AccessDeniedException" || name === "AccessDenied" || name === "NotAuthorizedException") {
    return { message: `access denied: ${e.message ?? name}`, exitCode: EXIT.TARGET };
  }
  const net = networkCode(e);
  if (net) {
    if (sandbox) return { message: `cannot reach the sandbox at ${sandbox} (${net}): start it with \`npm run sandbox\` or set SANDBOX_ENDPOINT`, exitCode: EXIT.TARGET };
    if (net === "ENOTFOUND" || net === "EAI_AGAIN") return { message: `cannot resolve the AWS endpoint (${net}): is the region name right, and is the network up?`, exitCode: EXIT.TARGET };
    return { message: `network error talking to AWS (${net})`, exitCode: EXIT.TARGET };
  }
  if (name === "ResourceNotFoundException" || name === "QueueDoesNotExist" || name === "AWS.SimpleQueueService.NonExistentQueue") {
    return { message: `not found: ${e.message ?? name} (deployed? right --env and region?)`, exitCode: EXIT.TARGET };
  }
  return { message: `${name}: ${e.message ?? "unexpected error"}`, exitCode: EXIT.TARGET };
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

/** Runs a tool's main: prints its error in one line, sets the exit code. `CDR_DEBUG=1` adds the stack. */
export function runMain(main: (argv: string[], io: CliIo) => Promise<number>): void {
  main(process.argv.slice(2), processIo).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const { message, exitCode } = describeError(err, { env: lastEnvironment });
      process.stderr.write(`error: ${message}\n`);
      if (process.env.CDR_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = exitCode;
    },
  );
}

let lastEnvironment: Environment | undefined;
/** Lets runMain word network errors for the sandbox when the target is `local`. */
export function rememberEnvironment(env: Environment): Environment {
  lastEnvironment = env;
  return env;
}

// ---- progress -------------------------------------------------------------------------------

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A one-line progress bar with rate and ETA on stderr; silent unless enabled. */
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly started = performance.now();
  total?: number;

  constructor(
    private readonly label: string,
    private readonly io: CliIo,
    readonly enabled: boolean,
    total?: number,
  ) {
    this.total = total;
  }

  static for(label: string, io: CliIo, values: Values, total?: number): Progress {
    return new Progress(label, io, io.isTTY || values.progress === true, total);
  }

  update(done: number, extra = ""): void {
    this.done = done;
    if (!this.enabled) return;
    const t = performance.now();
    if (t - this.lastDraw < (this.io.isTTY ? 200 : 2000)) return;
    this.lastDraw = t;
    this.draw(extra);
  }

  line(extra = ""): string {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const width = 24;
    if (this.total && this.total > 0) {
      const f = Math.min(1, this.done / this.total);
      const bar = "#".repeat(Math.round(f * width)).padEnd(width, ".");
      const eta = rate > 0 ? formatDuration((this.total - this.done) / rate) : "?";
      return `${this.label} [${bar}] ${this.done}/${this.total} ${Math.round(f * 100)}% ${rate.toFixed(1)}/s ETA ${eta}${extra ? ` ${extra}` : ""}`;
    }
    return `${this.label} ${this.done} ${rate.toFixed(1)}/s ${formatDuration(seconds)}${extra ? ` ${extra}` : ""}`;
  }

  private draw(extra: string): void {
    this.io.stderr(this.io.isTTY ? `\r\x1b[2K${this.line(extra)}` : `${this.line(extra)}\n`);
  }

  finish(extra = ""): void {
    if (!this.enabled) return;
    this.draw(extra);
    if (this.io.isTTY) this.io.stderr("\n");
  }
}

/** A fixed-width text table for the human summaries. */
export function table(rows: Array<Array<string | number>>): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  return rows.map((r) => r.map((c, i) => (typeof c === "number" ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}

export function rateLines(reports: RateReport[]): string {
  if (reports.length === 0) return "";
  return table([
    ["region", "category", "requests", "achieved/s", "bound/s", "of bound", "AWS quota/s"],
    ...reports.map((r) => [r.region, r.category, r.requests, r.achieved, r.bound, `${Math.round(r.fractionOfBound * 100)}%`, r.quota]),
  ]);
}
