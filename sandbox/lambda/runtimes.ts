// Lambda's Node.js runtimes and their deprecation schedule, as AWS publishes it in the Lambda
// developer guide, "Lambda runtimes" (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html),
// read 2026-11-30. After the deprecation date AWS stops patching the runtime; after "block create"
// no new function may use it, after "block update" no existing one may be changed (Lambda guide,
// "Runtime deprecation"). The sandbox refuses what AWS refuses, and the static rules over the
// synthesized stacks refuse any runtime past its deprecation date.

export interface RuntimeSchedule {
  runtime: string;
  /** YYYY-MM-DD */
  deprecation: string;
  blockCreate?: string;
  blockUpdate?: string;
  note?: string;
}

export const RUNTIMES_SOURCE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (read 2026-11-30)";

export const NODE_RUNTIMES: RuntimeSchedule[] = [
  { runtime: "nodejs24.x", deprecation: "2028-04-30", blockCreate: "2028-06-01", blockUpdate: "2028-07-01" },
  { runtime: "nodejs22.x", deprecation: "2027-04-30", blockCreate: "2027-06-01", blockUpdate: "2027-07-01" },
  {
    runtime: "nodejs20.x",
    deprecation: "2026-04-30",
    blockCreate: "2027-07-29",
    blockUpdate: "2027-08-31",
    note: "AWS has moved the block dates more than once (2026-06-01/07-01, then 2026-08-31/09-30); the latest seen are used",
  },
  { runtime: "nodejs18.x", deprecation: "2025-09-01", blockCreate: "2025-10-01", blockUpdate: "2025-11-11", note: "block dates from an earlier snapshot of the page" },
];

export type RuntimeState = "supported" | "deprecated" | "create-blocked" | "update-blocked" | "unknown";

/** Where `runtime` stands on `date` (YYYY-MM-DD, default today, UTC). Non-Node runtimes are "unknown". */
export function runtimeState(runtime: string, date = new Date().toISOString().slice(0, 10)): RuntimeState {
  const r = NODE_RUNTIMES.find((x) => x.runtime === runtime);
  if (!r) return "unknown";
  if (r.blockUpdate && date >= r.blockUpdate) return "update-blocked";
  if (r.blockCreate && date >= r.blockCreate) return "create-blocked";
  if (date >= r.deprecation) return "deprecated";
  return "supported";
}
