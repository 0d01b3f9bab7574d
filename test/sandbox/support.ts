// Shared by the project's sandbox tests (test/sandbox/): skip when moto_server is missing, with a
// one-line reason, but fail under CI=true (scripts/lib/tools.ts's rule for every external tool).

import { findMoto, MOTO_MISSING } from "@cognito-dr/sandbox";
import { requireTool } from "../../scripts/lib/tools";

export function motoMissing(): string | undefined {
  return requireTool(findMoto() !== undefined, MOTO_MISSING);
}
