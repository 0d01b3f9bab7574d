// A pass's work units: each pool's group memberships, and its users in 16 segments by the first hex
// digit of `sub` (ListUsers `Filter: sub ^= "<digit>"`; a sub is a lowercase UUID, so the segments
// partition the pool). A unit lists one thing sequentially with the shared lister and writes it as
// one object; it either completes (and the checkpoint records it) or is redone by a later
// invocation. Only the fields reconcile reads are kept, so 2 million users fit the compare
// invocation's memory.
import type { UserType } from "@aws-sdk/client-cognito-identity-provider";
import { HEX_SEGMENTS } from "../replication/segmented-list";

export type PoolSide = "primary" | "dr";
export const SEGMENTS: readonly string[] = HEX_SEGMENTS;

export type Unit = { side: PoolSide; kind: "groups" } | { side: PoolSide; kind: "users"; segment: string };

/** Per pool: its groups first (one walk), then its segments. */
export function unitsOf(side: PoolSide, segments: readonly string[] = SEGMENTS): Unit[] {
  return [{ side, kind: "groups" }, ...segments.map((segment) => ({ side, kind: "users" as const, segment }))];
}

export function unitName(u: Unit): string {
  return u.kind === "groups" ? `${u.side}/groups` : `${u.side}/users-${u.segment}`;
}

type StoredUser = Pick<UserType, "Username" | "Attributes" | "Enabled" | "UserStatus"> & { UserCreateDate?: string; UserLastModifiedDate?: string };

export function encodeUsers(users: UserType[]): string {
  const slim: StoredUser[] = users.map((u) => ({
    Username: u.Username,
    Attributes: u.Attributes?.map((a) => ({ Name: a.Name, Value: a.Value })),
    Enabled: u.Enabled,
    UserStatus: u.UserStatus,
    UserCreateDate: u.UserCreateDate ? new Date(u.UserCreateDate).toISOString() : undefined,
    UserLastModifiedDate: u.UserLastModifiedDate ? new Date(u.UserLastModifiedDate).toISOString() : undefined,
  }));
  return JSON.stringify(slim);
}

export function decodeUsers(raw: string, where: string): UserType[] {
  const v = JSON.parse(raw) as unknown;
  if (!Array.isArray(v)) throw new Error(`reconcile listing ${where} is not an array of users`);
  return (v as StoredUser[]).map((u) => ({
    ...u,
    UserCreateDate: u.UserCreateDate ? new Date(u.UserCreateDate) : undefined,
    UserLastModifiedDate: u.UserLastModifiedDate ? new Date(u.UserLastModifiedDate) : undefined,
  }));
}

export const encodeGroups = (m: Map<string, string[]>): string => JSON.stringify([...m]);

export function decodeGroups(raw: string, where: string): Map<string, string[]> {
  const v = JSON.parse(raw) as unknown;
  if (!Array.isArray(v)) throw new Error(`reconcile listing ${where} is not a list of memberships`);
  return new Map(v as Array<[string, string[]]>);
}
