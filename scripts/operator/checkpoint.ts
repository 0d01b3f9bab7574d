// The backfill's checkpoint: after each fully processed ListUsers page, each segment's progress
// (its next pagination token, or done), the page index and counts, replaced atomically so that a run killed at any moment leaves either
// the previous page's checkpoint or this one's, never half of one. write-file-atomic writes a
// temporary file beside it, fsyncs it and renames it over.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { SegmentProgress } from "../../handlers/replication/segmented-list";
import { CliError } from "../lib/errors";

export interface BackfillCounts {
  listed: number;
  skipped: number;
  /** Table mode: records written. */
  written: number;
  /** Direct mode. */
  created: number;
  updated: number;
  /** Already matching (table record with the same content, or DR user unchanged). */
  unchanged: number;
  /** Table mode: a newer record was there first (a concurrent change). */
  newer: number;
  failed: number;
}

export interface Failure {
  username?: string;
  canonicalId?: string;
  reason: string;
  message: string;
}

export interface Checkpoint {
  version: 2;
  tool: "backfill";
  env: string;
  mode: "table" | "direct";
  primaryPoolId: string;
  filter?: string;
  pageIndex: number;
  /** Per sub-prefix segment ("" the whole pool, or a --filter walk): its next page's token, or done. */
  segments: Record<string, SegmentProgress>;
  done: boolean;
  counts: BackfillCounts;
  failures: Failure[];
  updatedAt: string;
}

export const zeroCounts = (): BackfillCounts => ({ listed: 0, skipped: 0, written: 0, created: 0, updated: 0, unchanged: 0, newer: 0, failed: 0 });

/** Version 1 (before segmented listing): one walk of the whole pool, one pagination token. */
interface CheckpointV1 extends Omit<Checkpoint, "version" | "segments"> {
  version: 1;
  nextToken?: string;
}

export function readCheckpoint(path: string): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: Checkpoint | CheckpointV1;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Checkpoint | CheckpointV1;
  } catch {
    throw new CliError(`checkpoint ${path} is not valid JSON; remove it or pass --restart`);
  }
  if (parsed?.tool !== "backfill" || (parsed.version !== 1 && parsed.version !== 2)) throw new CliError(`${path} is not a backfill checkpoint; remove it or pass --restart`);
  if (parsed.version === 1) {
    // Its token belongs to an unsegmented walk: the resumed run finishes that walk as the one segment "".
    const { nextToken, ...rest } = parsed;
    return { ...rest, version: 2, segments: { "": parsed.done ? { done: true } : nextToken ? { token: nextToken } : {} } };
  }
  const segments = parsed.segments;
  const valid =
    segments !== null &&
    typeof segments === "object" &&
    Object.keys(segments).length > 0 &&
    Object.values(segments).every((p) => p !== null && typeof p === "object" && (p.token === undefined || typeof p.token === "string") && (p.done === undefined || typeof p.done === "boolean"));
  if (!valid) throw new CliError(`checkpoint ${path} has no readable segment progress ("segments": {"<sub prefix>": {"token"?: string, "done"?: boolean}}); remove it or pass --restart`);
  return parsed;
}

/** Replaces the checkpoint file atomically (its folder is created when missing). */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeText(path, `${JSON.stringify(checkpoint, null, 2)}\n`);
}

/** Replaces `path` atomically with `text`: temporary file, fsync, rename. */
export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic.sync(path, text);
}

/** A checkpoint of another run (env, mode, pool or filter) must not be resumed by this one. */
export function checkSameRun(path: string, checkpoint: Checkpoint, run: Pick<Checkpoint, "env" | "mode" | "primaryPoolId" | "filter">): void {
  if (checkpoint.primaryPoolId !== run.primaryPoolId || checkpoint.mode !== run.mode || checkpoint.env !== run.env || (checkpoint.filter ?? "") !== (run.filter ?? "")) {
    throw new CliError(
      `checkpoint ${path} belongs to another run (env ${checkpoint.env}, ${checkpoint.mode} mode, pool ${checkpoint.primaryPoolId}${checkpoint.filter ? `, filter ${checkpoint.filter}` : ""}); pass --restart or another --checkpoint`,
    );
  }
}
