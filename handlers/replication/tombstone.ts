// Applying a tombstone in the DR pool: the primary no longer has the user, so its DR copy is
// deleted (policy `delete`, the default: an erasure must propagate) or disabled (`disable`, for
// environments that must keep the account). The DR users are found as the upsert finds them (the
// directory's item, then the previous email), and only those carrying the canonical id are touched.
// Replays are harmless: a deleted user is not found again, a disabled one is not disabled twice.
import { AdminDisableUserCommand } from "@aws-sdk/client-cognito-identity-provider";
import type { DeletionPolicy } from "../contract";
import { classifyAwsError } from "../shared/classify";
import { InvalidRecordError } from "../shared/errors";
import { planTombstone, type TombstoneTarget } from "./plan";
import type { ReplicatedUser } from "./record";
import { carriedCanonicalId, deleteDrUser, readDrUser, type UpsertContext } from "./upsert";

export interface TombstoneOptions {
  policy: DeletionPolicy;
  /** Email in the stream's OldImage (the user's last record): finds DR users made before the directory. */
  previousEmail?: string;
}

export interface TombstoneResult {
  action: "deleted" | "disabled" | "unchanged";
  /** DR users found carrying the canonical id (0: nothing to do; reconcile finds what both lookups missed). */
  found: number;
  /** Value-free, e.g. `["delete", "delete"]` for a user and its twin. */
  changes: string[];
}

/** The DR users that carry `canonicalId`, as far as the directory and the previous email tell. */
async function carriers(ctx: UpsertContext, canonicalId: string, previousEmail: string | undefined): Promise<TombstoneTarget[]> {
  const names = [await ctx.directory?.usernameOf(canonicalId), previousEmail].filter((n): n is string => !!n);
  const found = new Map<string, TombstoneTarget>();
  for (const name of names) {
    const user = await readDrUser(ctx, name);
    // Someone else's user under the old email (it was reused) is never touched. A user born in this
    // pool (no attribute) carries its own sub (D3).
    if (!user || carriedCanonicalId(user.attributes, ctx.config) !== canonicalId) continue;
    found.set(user.username, { username: user.username, enabled: user.enabled });
  }
  return [...found.values()];
}

/** Deletes or disables the DR copies of a deleted primary user. Throws a classified ReplicationError. */
export async function applyTombstone(ctx: UpsertContext, record: ReplicatedUser, options: TombstoneOptions): Promise<TombstoneResult> {
  try {
    if (!record.deleted) throw new InvalidRecordError("only a tombstone (deleted) record is applied as one");
    const targets = await carriers(ctx, record.canonicalId, options.previousEmail);
    const steps = planTombstone(options.policy, targets);
    for (const step of steps) {
      if (step.action === "delete") {
        await deleteDrUser(ctx, step.username);
        await ctx.directory?.forget(record.canonicalId, step.username);
      } else {
        await ctx.cognito.send(new AdminDisableUserCommand({ UserPoolId: ctx.userPoolId, Username: step.username }));
      }
    }
    const action = steps.length === 0 ? "unchanged" : options.policy === "delete" ? "deleted" : "disabled";
    return { action, found: targets.length, changes: steps.map((s) => s.action) };
  } catch (err) {
    throw classifyAwsError(err);
  }
}
