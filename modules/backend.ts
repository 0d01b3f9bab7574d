// Where a stack keeps its state: local files, or an S3 bucket in the stack's own region with
// native locking (terraform >= 1.10 `use_lockfile`, the lock is an object next to the state).
import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import { resolve } from "node:path";

export type BackendProps =
  | { kind: "local"; dir: string }
  | {
      kind: "s3";
      bucket: string;
      region: string;
      key: string;
      /** Where terraform keeps (and lists) non-default workspaces' states; default `env:`. */
      workspaceKeyPrefix?: string;
      /** The sandbox's endpoint (`local` with LOCAL_STATE=s3): path-style, the caller's credentials. */
      endpoint?: string;
    };

export function configureBackend(stack: TerraformStack, stackName: string, b: BackendProps): void {
  if (b.kind === "local") {
    new LocalBackend(stack, { path: resolve(b.dir, `${stackName}.tfstate`) });
    return;
  }
  new S3Backend(stack, { bucket: b.bucket, key: b.key, region: b.region, encrypt: true, ...(b.workspaceKeyPrefix ? { workspaceKeyPrefix: b.workspaceKeyPrefix } : {}) });
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
  if (b.endpoint) {
    for (const [k, v] of Object.entries({
      endpoints: { s3: b.endpoint },
      use_path_style: true,
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
    })) {
      stack.addOverride(`terraform.backend.s3.${k}`, v);
    }
  }
}
