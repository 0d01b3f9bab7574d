import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { trimSourceMap } from "./sourcemap";

function mapOf(files: Record<string, string>): string {
  const r = buildSync({
    stdin: { contents: files["entry.ts"], resolveDir: "/", sourcefile: "entry.ts", loader: "ts" },
    bundle: false,
    write: false,
    sourcemap: "external",
    outfile: "out.js",
    minify: true,
  });
  return new TextDecoder().decode(r.outputFiles.find((f) => f.path.endsWith(".map"))!.contents);
}

describe("trimSourceMap", () => {
  it("keeps every mapping when every source is kept (decode/encode round trip)", () => {
    const map = mapOf({ "entry.ts": "export function add(a: number, b: number) { return a + b; }\nexport const x = add(1, 2);\n" });
    const trimmed = JSON.parse(trimSourceMap(map, () => true));
    const original = JSON.parse(map);
    expect(trimmed.mappings).toBe(original.mappings);
    expect(trimmed.sources).toEqual(original.sources);
  });

  it("drops the mappings, sources and names of sources it does not keep", () => {
    const map = JSON.stringify({ version: 3, sources: ["node_modules/a.js", "handlers/b.ts"], names: ["n0", "n1"], mappings: "AAAAA,CCAAC;ADAA" });
    const trimmed = JSON.parse(trimSourceMap(map, (s) => !s.startsWith("node_modules/")));
    expect(trimmed.sources).toEqual(["handlers/b.ts"]);
    expect(trimmed.names).toEqual(["n1"]);
    // Line 1 keeps only the second segment (column 1, source 0, line 0, col 1, name 0); line 2's segment was node_modules.
    expect(trimmed.mappings).toBe("CAAAA;");
  });
});
