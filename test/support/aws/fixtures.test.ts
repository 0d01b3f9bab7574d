// The fixtures are AWS's, and say where from: each names an AWS (or the AWS protocol spec's)
// page and is listed in the folder's README.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { ALL } from ".";

const dir = dirname(fileURLToPath(import.meta.url));

it("every JSON file is loaded, cites its page and is in the README", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  expect(Object.keys(ALL).sort()).toEqual(files);
  const readme = readFileSync(join(dir, "README.md"), "utf8");
  for (const [file, f] of Object.entries(ALL)) {
    const sources = Array.isArray(f.source) ? f.source : [f.source];
    expect(sources.length, file).toBeGreaterThan(0);
    for (const s of sources) expect(s, file).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|smithy\.io)\//);
    expect(f.title, file).not.toBe("");
    expect(readme, file).toContain(file);
  }
});
