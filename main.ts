// Synthesizes a primary and a DR stack for every environment (or only those
// named in CDKTF_ENVS, e.g. `CDKTF_ENVS=local`).
import { App } from "cdktf";
import { DrStack } from "./stacks/dr-stack";
import { allEnvironments, parseEnvName } from "./stacks/environments";
import { names } from "./stacks/names";
import { PrimaryStack } from "./stacks/primary-stack";

const only = process.env.CDKTF_ENVS?.split(",").map((s) => parseEnvName(s.trim()));
const app = new App();
for (const env of allEnvironments()) {
  if (only && !only.includes(env.name)) continue;
  const n = names(env);
  new PrimaryStack(app, n.stack("primary"), env);
  new DrStack(app, n.stack("dr"), env);
}
app.synth();
