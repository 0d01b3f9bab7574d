// Cognito user pools' control plane as terraform manages it: CreateUserPool has no resource yet
// (the Service Authorization Reference marks it wildcard-only, with `aws:RequestTag` from the
// pool's tags), tagging names the pool by ARN; every other call names its pool by UserPoolId and is
// mapped by requests.ts. Triggers need no permission of the caller: Cognito invokes them under the
// function's resource policy (Cognito developer guide, "Customizing user pool workflows with Lambda
// triggers"), which the Cognito plugin checks when it invokes.

import { params, requestTagContext, tagMap, type CallMapper } from "./common";

export const cognitoControl: CallMapper = async (c) => {
  const op = c.req.operation ?? "";
  const p = params(c.req);
  switch (op) {
    case "CreateUserPool":
      return [{ action: "cognito-idp:CreateUserPool", resource: "*", context: requestTagContext(tagMap(p.UserPoolTags)) }];
    case "CreateUserPoolReplica": {
      // "You must have permissions to create user pools in the target Region" (API reference,
      // CreateUserPoolReplica); CreateUserPool has no resource-level permissions. Its aws:RequestTag
      // keys are the replica's UserPoolTags, as a CreateUserPool's are its tags: AWS does not say
      // (sandbox/README.md, "Assumptions").
      const context = requestTagContext(tagMap(p.UserPoolTags));
      const pool = `arn:${c.caller.partition}:cognito-idp:${c.req.region}:${c.caller.accountId}:userpool/${p.UserPoolId}`;
      return [
        { action: "cognito-idp:CreateUserPoolReplica", resource: pool, context },
        { action: "cognito-idp:CreateUserPool", resource: "*", context },
      ];
    }
    case "ListTagsForResource":
    case "TagResource":
    case "UntagResource":
      return [{ action: `cognito-idp:${op}`, resource: String(p.ResourceArn), context: op === "TagResource" ? requestTagContext(tagMap(p.Tags)) : {} }];
    case "UpdateUserPool":
      return p.UserPoolTags ? [{ action: "cognito-idp:UpdateUserPool", resource: `arn:${c.caller.partition}:cognito-idp:${c.req.region}:${c.caller.accountId}:userpool/${p.UserPoolId}`, context: requestTagContext(tagMap(p.UserPoolTags)) }] : undefined;
    default:
      return undefined;
  }
};
