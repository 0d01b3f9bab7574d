// The one place an environment becomes its two stacks: main.ts (every environment), the
// pipeline (one environment), the local deploy (the sandbox's `local`) and the tests all go
// through here, so they synthesize exactly what production gets.
import type { App } from "cdktf";
import { DrStack } from "./dr-stack";
import type { Environment } from "./environments";
import { names, type Role } from "./names";
import { NativeDrStack } from "./native-dr-stack";
import { NativePrimaryStack } from "./native-primary-stack";
import { PrimaryStack } from "./primary-stack";

export interface EnvironmentStacks {
  env: Environment;
  primary: PrimaryStack | NativePrimaryStack;
  dr: DrStack | NativeDrStack;
}

/** Adds the primary and the DR stack of each environment to `app` (it does not synthesize). */
export function synthApp(app: App, envs: readonly Environment[]): EnvironmentStacks[] {
  return envs.map((env) => {
    const n = names(env);
    // Native: Cognito replicates the pool; the stacks hold what it does not (key, triggers, alarms).
    if (env.replication.engine === "native") return { env, primary: new NativePrimaryStack(app, n.stack("primary"), env), dr: new NativeDrStack(app, n.stack("dr"), env) };
    return { env, primary: new PrimaryStack(app, n.stack("primary"), env), dr: new DrStack(app, n.stack("dr"), env) };
  });
}

/** Where `app.synth()` writes a stack of this environment, below the app's outdir. */
export function stackDirs(outdir: string, env: Environment): Record<Role, string> {
  const n = names(env);
  return { primary: `${outdir}/stacks/${n.stack("primary")}`, dr: `${outdir}/stacks/${n.stack("dr")}` };
}
