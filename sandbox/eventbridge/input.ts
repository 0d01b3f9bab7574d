// What a target receives (EventBridge API reference, Target): the matched event itself; or
// `Input`, "Valid JSON text passed to the target. In this case, nothing from the event itself is
// passed to the target"; or `InputPath`, "The value of the JSONPath that is used for extracting
// part of the matched event when passing it to the target" (the sandbox reads the `$.a.b` paths a
// rule uses, not the whole JSONPath grammar). `InputTransformer` is not emulated: such a delivery
// fails with a reason saying so rather than sending something AWS would not.

import type { Target } from "./rules";

/** The payload for `target`, or an error saying why the sandbox cannot build it. */
export function targetInput(target: Target, event: unknown): { payload: string } | { error: string } {
  if (target.InputTransformer) return { error: "the sandbox does not emulate InputTransformer (use Input or InputPath)" };
  if (target.Input !== undefined) return { payload: target.Input };
  if (target.InputPath === undefined) return { payload: JSON.stringify(event) };
  const m = /^\$((?:\.[A-Za-z0-9_-]+)*)$/.exec(target.InputPath);
  if (!m) return { error: `the sandbox reads InputPath as $.field.field only, not ${target.InputPath}` };
  let v: unknown = event;
  for (const key of m[1]!.split(".").filter(Boolean)) v = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  // A path to nothing passes nothing (an empty payload), as a missing JSONPath value would.
  return { payload: v === undefined ? "" : JSON.stringify(v) };
}
