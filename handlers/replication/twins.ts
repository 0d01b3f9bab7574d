// Twins: two DR users carrying one canonical id. Before the canonical id -> DR user items, an email
// change the upsert could not follow (old email gone from the record, stale, or never given)
// created a second DR user, which kept the old groups and enabled flag; and a twin holding an
// email blocks the other's update. One is kept and the others are deleted: the one the directory
// names (the replicator updates that one), else the one with the primary's current email (the one
// the upsert finds by email), else the most recently modified.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { attributeMap } from "./attributes";
import type { DrDirectory } from "./dr-directory";

const modified = (u: UserType): number => (u.UserLastModifiedDate ? new Date(u.UserLastModifiedDate).getTime() : 0);

/** The twin to keep, and why (value-free). */
export async function keptTwin(twins: readonly UserType[], canonicalId: string, primaryEmail: string | undefined, directory?: DrDirectory): Promise<{ kept: UserType; why: string }> {
  const named = await directory?.usernameOf(canonicalId);
  const byItem = twins.find((u) => u.Username === named);
  if (byItem) return { kept: byItem, why: "the DR user the directory names" };
  const byEmail = primaryEmail ? twins.find((u) => attributeMap(u.Attributes).email === primaryEmail) : undefined;
  if (byEmail) return { kept: byEmail, why: "the DR user with the primary's email" };
  // Stryker disable next-line EqualityOperator: equivalent for `<=`, usernames being unique in a pool
  const newest = [...twins].sort((a, b) => modified(b) - modified(a) || (a.Username! < b.Username! ? -1 : 1))[0];
  return { kept: newest, why: "the most recently modified DR user" };
}
