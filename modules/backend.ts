// Where each stack keeps its state: local files for `local`, S3 with native
// locking (terraform >= 1.10 `use_lockfile`) for the real environments.
import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import { resolve } from "node:path";
import type { Environment } from "../stacks/environments";

export function configureBackend(stack: TerraformStack, env: Environment, stackName: string): void {
  const b = env.backend;
  if (b.kind === "local") {
    new LocalBackend(stack, { path: resolve(b.dir, `${stackName}.tfstate`) });
    return;
  }
  new S3Backend(stack, { bucket: b.bucket, key: `${b.keyPrefix}/${stackName}.tfstate`, region: b.region, encrypt: true });
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
}
