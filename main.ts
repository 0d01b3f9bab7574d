// Synthesizes a primary and a DR stack for every environment (or only those
// named in CDKTF_ENVS, e.g. `CDKTF_ENVS=local`).
import { App } from "cdktf";
import { synthApp } from "./stacks/app";
import { allEnvironments, parseEnvName } from "./stacks/environments";

const only = process.env.CDKTF_ENVS?.split(",").map((s) => parseEnvName(s.trim()));
const app = new App();
synthApp(app, allEnvironments().filter((env) => !only || only.includes(env.name)));
app.synth();
