// The sandbox's Lambda emulation (see README.md here).
//
// - Captures function code and configuration from the Lambda REST API
//   (CreateFunction / UpdateFunctionCode / UpdateFunctionConfiguration /
//   DeleteFunction), forwarding each call to moto so GetFunction & co. keep working
//   (functions.ts).
// - Answers Invoke by running the code in warm child `node` processes with the
//   function's own environment and handler setting (invoke.ts, runtime.ts).
// - Owns event source mappings (see esm.ts for why moto does not hold them) and
//   polls DynamoDB streams and SQS queues with Lambda's semantics (mappings.ts, pollers/),
//   reading the sources through the gateway endpoint so faults apply.

import { LambdaPlugin } from "./plugin";
import type { LambdaPluginOptions } from "./types";

export { LambdaPlugin } from "./plugin";
export type { FunctionStats, LambdaPluginOptions, LambdaStats, LogLine, MappingInfo, MappingsCaughtUp } from "./types";
export type { MappingStats } from "./pollers/poller";
export type { ShardCheckpoint } from "./pollers/dynamodb-stream";
export { matchesAny, parseFilterCriteria } from "./filter";

export function createLambdaPlugin(opts: LambdaPluginOptions): LambdaPlugin {
  return new LambdaPlugin(opts);
}
