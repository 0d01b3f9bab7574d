// Synthesizes an environment's stacks in memory with cdktf's Testing helpers and
// gives tests the plain JSON to walk.
import { Testing } from "cdktf";
import { synthApp } from "../../stacks/app";
import { allEnvironments, ENV_NAMES, environment, type DeployMode, type Environment } from "../../stacks/environments";

export interface TfJson {
  provider: { aws: Array<Record<string, unknown>> };
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, unknown>;
  terraform: Record<string, unknown>;
}

export interface SynthedEnv {
  env: Environment;
  primary: TfJson;
  dr: TfJson;
}

export function synthEnvironment(env: Environment): SynthedEnv {
  const [{ primary, dr }] = synthApp(Testing.app(), [env]);
  return { env, primary: JSON.parse(Testing.synth(primary)), dr: JSON.parse(Testing.synth(dr)) };
}

const cached = new Map<DeployMode, SynthedEnv[]>();
/** Every environment's stacks with default settings, in `mode` (one-way, the default, unless told). */
export function synthAll(mode: DeployMode = "one-way"): SynthedEnv[] {
  if (!cached.has(mode)) {
    const envs = mode === "one-way" ? allEnvironments({}) : ENV_NAMES.map((n) => environment(n, { [`${n.toUpperCase()}_REPLICATION_MODE`]: mode }));
    cached.set(mode, envs.map(synthEnvironment));
  }
  return cached.get(mode)!;
}

/** Every environment's stacks in both modes. */
export const synthBothModes = (): SynthedEnv[] => [...synthAll("one-way"), ...synthAll("two-way")];

export function resources(stack: TfJson, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(stack.resource[type] ?? {});
}

export function only(stack: TfJson, type: string): Record<string, unknown> {
  const all = resources(stack, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0][1];
}

/** The `${type.name.attr}` reference cdktf writes for another resource's attribute. */
export function refTo(stack: TfJson, type: string, attr: string): string[] {
  return resources(stack, type).map(([name]) => `\${${type}.${name}.${attr}}`);
}
