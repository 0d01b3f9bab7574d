// Trims a source map to the project's own sources. The bundled AWS SDK makes up
// most of a handler's map (700 KB of mappings for code nobody debugs from a
// stack trace); our frames are what on-call needs, and dropping the rest keeps
// the zip under the 250 KB target with source maps still on.

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64_INDEX.get(ch);
    if (digit === undefined) throw new Error(`invalid base64 VLQ character ${JSON.stringify(ch)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function encodeVlq(values: number[]): string {
  let s = "";
  for (const v of values) {
    let vlq = v < 0 ? (-v << 1) | 1 : v << 1;
    do {
      let digit = vlq & 31;
      vlq >>>= 5;
      if (vlq > 0) digit |= 32;
      s += B64[digit];
    } while (vlq > 0);
  }
  return s;
}

interface SourceMap {
  version: number;
  sources: string[];
  names: string[];
  mappings: string;
  [key: string]: unknown;
}

/** Keeps only the mappings whose source passes `keep`, re-indexing sources and names. */
export function trimSourceMap(json: string, keep: (source: string) => boolean): string {
  const map = JSON.parse(json) as SourceMap;
  const sourceIndex = new Map<number, number>();
  const nameIndex = new Map<number, number>();
  const sources: string[] = [];
  const names: string[] = [];
  // Absolute state carried across segments (source, line, column, name) in and out.
  const abs = [0, 0, 0, 0];
  const prevOut = [0, 0, 0, 0];
  const lines = map.mappings.split(";").map((line) => {
    let prevCol = 0;
    let prevOutCol = 0;
    const kept: string[] = [];
    for (const seg of line ? line.split(",") : []) {
      const f = decodeVlq(seg);
      const col = (prevCol += f[0]);
      if (f.length < 4) continue;
      for (let i = 1; i < f.length; i++) abs[i - 1] += f[i];
      const src = abs[0];
      if (!keep(map.sources[src])) continue;
      if (!sourceIndex.has(src)) sourceIndex.set(src, sources.push(map.sources[src]) - 1);
      const out = [sourceIndex.get(src)!, abs[1], abs[2]];
      if (f.length === 5) {
        if (!nameIndex.has(abs[3])) nameIndex.set(abs[3], names.push(map.names[abs[3]]) - 1);
        out.push(nameIndex.get(abs[3])!);
      }
      kept.push(encodeVlq([col - prevOutCol, ...out.map((v, i) => v - prevOut[i])]));
      prevOutCol = col;
      out.forEach((v, i) => (prevOut[i] = v));
    }
    return kept.join(",");
  });
  return JSON.stringify({ ...map, sources, names, mappings: lines.join(";") });
}
