// What a failover or failback did, step by step: printed as it goes, then written as evidence to
// <workdir>/<action>/<start time>.json (uploaded by the workflow) and to the job summary.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stepSummary } from "../lib/stacks";

export interface DrillStep {
  step: string;
  result: string;
}

export class DrillRecord {
  readonly started = new Date();
  readonly steps: DrillStep[] = [];

  constructor(
    private readonly action: "failover" | "failback",
    private readonly title: string,
  ) {}

  say(step: string, result: string): void {
    this.steps.push({ step, result });
    console.log(`• ${step}: ${result}`);
  }

  /** Writes the record (the steps, timing, run and `facts`) and the job summary; returns the file. */
  write(workDir: string, facts: Record<string, unknown>): string {
    const record = { action: this.action, ...facts, startedAt: this.started.toISOString(), finishedAt: new Date().toISOString(), steps: this.steps, run: process.env.GITHUB_RUN_ID };
    const dir = join(workDir, this.action);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${this.started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, JSON.stringify(record, null, 2));
    stepSummary(`### ${this.title}\n\n${this.steps.map((s) => `- **${s.step}**: ${s.result}`).join("\n")}`);
    console.log(`${this.action} done; record: ${file}`);
    return file;
  }
}
