// Lets Cognito invoke a trigger function on behalf of exactly one pool (resource-based policy on
// the function; the pool ARN as source keeps any other pool in the account from using it).
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { Construct } from "constructs";

export interface CognitoInvokeProps {
  functionName: string;
  poolArn: string;
  statementId: string;
}

export function allowCognitoInvoke(scope: Construct, id: string, props: CognitoInvokeProps): LambdaPermission {
  return new LambdaPermission(scope, id, {
    statementId: props.statementId,
    action: "lambda:InvokeFunction",
    functionName: props.functionName,
    principal: "cognito-idp.amazonaws.com",
    sourceArn: props.poolArn,
  });
}
