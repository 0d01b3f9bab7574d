// Once per vitest run: forget the authorization decisions an earlier run left for the suite's
// least-privilege report (test/e2e/authz-report.ts reads what this run's sandboxes leave).
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AUTHZ_REPORT_DIR } from "./e2e/harness";

export default function setup(): void {
  let files: string[] = [];
  try {
    files = readdirSync(AUTHZ_REPORT_DIR);
  } catch {
    return;
  }
  for (const f of files) if (/^(authz-.*|summary)\.json$/.test(f)) rmSync(join(AUTHZ_REPORT_DIR, f), { force: true });
}
