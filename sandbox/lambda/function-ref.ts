// How Lambda's API names a function: a name, a partial ARN (`123456789012:function:name`) or an
// ARN, each optionally with a qualifier; and its REST API version prefix.

/** Path prefix of the functions and event source mappings API. */
export const LAMBDA_API = "/2015-03-31";

/** Function name (without qualifier) from a name, partial ARN or ARN; also the ARN's region when given. */
export function parseFunctionRef(ref: string): { name: string; region?: string; qualifier?: string } {
  const s = decodeURIComponent(ref);
  if (s.startsWith("arn:")) {
    const parts = s.split(":"); // arn:aws:lambda:region:acct:function:name[:qual]
    return { name: parts[6] ?? "", region: parts[3] || undefined, qualifier: parts[7] };
  }
  const parts = s.split(":");
  if (parts.length >= 3 && parts[1] === "function") return { name: parts[2]!, qualifier: parts[3] };
  return { name: parts[0]!, qualifier: parts[1] };
}
