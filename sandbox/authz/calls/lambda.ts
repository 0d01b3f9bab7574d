// Lambda's control plane (a REST API) as a role session calls it: each route to the IAM action and
// resource the Service Authorization Reference gives ("Actions defined by AWS Lambda"), and what
// Lambda checks beyond the call:
// - CreateFunction, and UpdateFunctionConfiguration with a Role: iam:PassRole on the execution
//   role for lambda.amazonaws.com (Lambda developer guide, "Identity-based IAM policies for
//   Lambda": "PassRole is used when you assign an execution role to a function");
// - Tags on CreateFunction (and on CreateEventSourceMapping): lambda:TagResource (Lambda developer
//   guide, "Using tags on Lambda functions": grant it to anyone who needs to tag on create);
// - GetFunction of a tagged function answers its tags only to a caller allowed lambda:ListTags
//   ("Lambda returns tag data only if you have explicit allow permissions for lambda:ListTags",
//   API Reference, GetFunction, `Tags`); without it the call succeeds with `TagsError` instead;
// - event source mappings have generated ids: CreateEventSourceMapping is authorized on `*` with
//   `lambda:FunctionArn`, the other mapping actions on the mapping with the function it feeds.
// Invocations stay with requests.ts.

import type { Check } from "../requests";
import { passRole } from "./iam";
import { arnOf, params, requestTagContext, tagMap, type CallContext, type CallMapper } from "./common";

interface Route {
  method: string;
  path: RegExp;
  /** IAM action without the prefix; `F` = the path names a function, `M` = a mapping, `T` = a tagged ARN, `*` = none. */
  action: string;
  on: "F" | "M" | "T" | "*";
}

const ROUTES: Route[] = [
  { method: "POST", path: /^\/2015-03-31\/functions\/?$/, action: "CreateFunction", on: "*" },
  { method: "GET", path: /^\/2015-03-31\/functions\/?$/, action: "ListFunctions", on: "*" },
  { method: "GET", path: /^\/2015-03-31\/functions\/([^/]+)$/, action: "GetFunction", on: "F" },
  { method: "DELETE", path: /^\/2015-03-31\/functions\/([^/]+)$/, action: "DeleteFunction", on: "F" },
  { method: "GET", path: /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, action: "GetFunctionConfiguration", on: "F" },
  { method: "PUT", path: /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, action: "UpdateFunctionConfiguration", on: "F" },
  { method: "PUT", path: /^\/2015-03-31\/functions\/([^/]+)\/code$/, action: "UpdateFunctionCode", on: "F" },
  { method: "GET", path: /^\/2015-03-31\/functions\/([^/]+)\/policy$/, action: "GetPolicy", on: "F" },
  { method: "POST", path: /^\/2015-03-31\/functions\/([^/]+)\/policy$/, action: "AddPermission", on: "F" },
  { method: "DELETE", path: /^\/2015-03-31\/functions\/([^/]+)\/policy\/[^/]+$/, action: "RemovePermission", on: "F" },
  { method: "GET", path: /^\/2015-03-31\/functions\/([^/]+)\/versions$/, action: "ListVersionsByFunction", on: "F" },
  { method: "POST", path: /^\/2015-03-31\/functions\/([^/]+)\/versions$/, action: "PublishVersion", on: "F" },
  { method: "GET", path: /^\/2015-03-31\/functions\/([^/]+)\/aliases$/, action: "ListAliases", on: "F" },
  { method: "PUT", path: /^\/2017-10-31\/functions\/([^/]+)\/concurrency$/, action: "PutFunctionConcurrency", on: "F" },
  { method: "DELETE", path: /^\/2017-10-31\/functions\/([^/]+)\/concurrency$/, action: "DeleteFunctionConcurrency", on: "F" },
  { method: "GET", path: /^\/2019-09-30\/functions\/([^/]+)\/concurrency$/, action: "GetFunctionConcurrency", on: "F" },
  { method: "GET", path: /^\/2020-06-30\/functions\/([^/]+)\/code-signing-config$/, action: "GetFunctionCodeSigningConfig", on: "F" },
  { method: "PUT", path: /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config$/, action: "PutFunctionEventInvokeConfig", on: "F" },
  { method: "POST", path: /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config$/, action: "UpdateFunctionEventInvokeConfig", on: "F" },
  { method: "GET", path: /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config$/, action: "GetFunctionEventInvokeConfig", on: "F" },
  { method: "DELETE", path: /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config$/, action: "DeleteFunctionEventInvokeConfig", on: "F" },
  { method: "GET", path: /^\/2017-03-31\/tags\/(.+)$/, action: "ListTags", on: "T" },
  { method: "POST", path: /^\/2017-03-31\/tags\/(.+)$/, action: "TagResource", on: "T" },
  { method: "DELETE", path: /^\/2017-03-31\/tags\/(.+)$/, action: "UntagResource", on: "T" },
  { method: "POST", path: /^\/2015-03-31\/event-source-mappings\/?$/, action: "CreateEventSourceMapping", on: "*" },
  { method: "GET", path: /^\/2015-03-31\/event-source-mappings\/?$/, action: "ListEventSourceMappings", on: "*" },
  { method: "GET", path: /^\/2015-03-31\/event-source-mappings\/([^/]+)$/, action: "GetEventSourceMapping", on: "M" },
  { method: "PUT", path: /^\/2015-03-31\/event-source-mappings\/([^/]+)$/, action: "UpdateEventSourceMapping", on: "M" },
  { method: "DELETE", path: /^\/2015-03-31\/event-source-mappings\/([^/]+)$/, action: "DeleteEventSourceMapping", on: "M" },
];

/** A function name, partial or full ARN (with or without a qualifier) → its unqualified ARN. */
export function functionArn(c: CallContext, ref: string): string {
  const name = decodeURIComponent(ref);
  if (name.startsWith("arn:")) return name.split(":").slice(0, 7).join(":");
  const parts = name.split(":");
  const fn = parts.length >= 3 ? parts[2]! : parts[0]!;
  return arnOf(c, "lambda", `function:${fn}`);
}

export const lambdaControl: CallMapper = async (c) => {
  const { req } = c;
  if (/\/invocations$/.test(req.path)) return undefined;
  const route = ROUTES.find((r) => r.method === req.method && r.path.test(req.path));
  if (!route) return undefined;
  const ref = route.path.exec(req.path)?.[1];
  const action = `lambda:${route.action}`;
  const body = params(c.req);
  const checks: Check[] = [];
  if (route.on === "F") {
    const fn = functionArn(c, ref!);
    const context: Record<string, string> = (route.action === "AddPermission" || route.action === "RemovePermission") && body.Principal ? { "lambda:Principal": String(body.Principal) } : {};
    checks.push({ action, resource: fn, resourcePolicy: "lambda-function", context });
    if (route.action === "UpdateFunctionConfiguration" && typeof body.Role === "string") checks.push(passRole(body.Role, "lambda.amazonaws.com", action, fn));
    if (route.action === "GetFunction") checks.push({ action: "lambda:ListTags", resource: fn, impliedBy: action, withholds: { field: "Tags", errorField: "TagsError" } });
  } else if (route.on === "T") {
    const arn = decodeURIComponent(ref!);
    const tags = route.action === "TagResource" ? requestTagContext(tagMap(body.Tags)) : {};
    checks.push({ action, resource: arn, context: tags });
  } else if (route.on === "M") {
    const uuid = decodeURIComponent(ref!);
    const fn = await c.store.mappingFunction(req.region, uuid);
    checks.push({ action, resource: arnOf(c, "lambda", `event-source-mapping:${uuid}`), context: fn ? { "lambda:FunctionArn": fn } : {} });
  } else if (route.action === "CreateFunction") {
    const fn = arnOf(c, "lambda", `function:${String(body.FunctionName)}`);
    const tags = tagMap(body.Tags);
    checks.push({ action, resource: fn, context: requestTagContext(tags) });
    if (typeof body.Role === "string") checks.push(passRole(body.Role, "lambda.amazonaws.com", action, fn));
    if (Object.keys(tags).length) checks.push({ action: "lambda:TagResource", resource: fn, impliedBy: action, resourceTags: {}, context: requestTagContext(tags) });
  } else if (route.action === "CreateEventSourceMapping") {
    const tags = tagMap(body.Tags);
    checks.push({ action, resource: "*", context: { "lambda:FunctionArn": functionArn(c, String(body.FunctionName)), ...requestTagContext(tags) } });
    // The mapping's id is generated: any id stands for the one being created.
    if (Object.keys(tags).length) checks.push({ action: "lambda:TagResource", resource: arnOf(c, "lambda", "event-source-mapping:being-created"), impliedBy: action, resourceTags: {}, context: requestTagContext(tags) });
  } else {
    checks.push({ action, resource: "*" });
  }
  return checks;
};
