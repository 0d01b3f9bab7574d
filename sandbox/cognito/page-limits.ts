// Cognito's list operations take a page size of 0 to 60: "Limit ... Valid Range: Minimum value of 0.
// Maximum value of 60." in the API reference of ListUsers, ListUsersInGroup, ListGroups and
// AdminListGroupsForUser (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListUsers.html
// and its neighbours). moto serves any Limit, so code asking for 100 users a page would pass here
// and fail on AWS. Refused before moto sees it, with the request-validation message AWS answers.
// *Assumed* (the reference lists the range, not the error): the error type is
// InvalidParameterException, as for Cognito's other "failed to satisfy constraint" answers.
import { awsError } from "../aws";
import type { AwsRequest, AwsResponse } from "../types";

export const PAGE_LIMIT = { min: 0, max: 60 } as const;
const PAGED = new Set(["ListUsers", "ListUsersInGroup", "ListGroups", "AdminListGroupsForUser"]);

/** The error AWS answers for an out-of-range `Limit` on a Cognito list operation, else undefined. */
export function pageLimitError(req: Pick<AwsRequest, "headers" | "service" | "operation">, body: Record<string, unknown>): AwsResponse | undefined {
  if (!req.operation || !PAGED.has(req.operation)) return undefined;
  const limit = body.Limit;
  // Absent, or not a number at all (the SDKs never send one; moto answers that itself).
  if (typeof limit !== "number") return undefined;
  if (limit >= PAGE_LIMIT.min && limit <= PAGE_LIMIT.max) return undefined;
  const bound = limit < PAGE_LIMIT.min ? `greater than or equal to ${PAGE_LIMIT.min}` : `less than or equal to ${PAGE_LIMIT.max}`;
  return awsError(req, 400, "InvalidParameterException", `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value ${bound}`);
}
