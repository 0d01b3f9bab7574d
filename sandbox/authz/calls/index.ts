// The control-plane calls a role session makes (terraform under a pipeline role; the pipeline's
// scripts), by service: each mapper turns a call into the permissions AWS checks for it, the call's
// own action and what the call implies (iam:PassRole, tags on create, a key's use, a replica in
// another region, a service-linked role). A mapper that does not know a call returns undefined and
// leaves it to the data-plane mapping in ../requests.ts, which refuses what nobody maps.

import type { Check } from "../requests";
import { cloudtrail } from "./cloudtrail";
import { cognitoControl } from "./cognito";
import type { CallContext, CallMapper } from "./common";
import { dynamodbControl } from "./dynamodb";
import { events } from "./events";
import { iam } from "./iam";
import { kms } from "./kms";
import { lambdaControl } from "./lambda";
import { cloudwatch, logs } from "./monitoring";
import { s3 } from "./s3";
import { route53, scheduler } from "./scheduler-route53";
import { snsControl, sqsControl } from "./topics-queues";

/** By SigV4 signing name (CloudWatch signs as `monitoring`). */
const MAPPERS: Record<string, CallMapper> = {
  iam,
  kms,
  dynamodb: dynamodbControl,
  lambda: lambdaControl,
  s3,
  logs,
  monitoring: cloudwatch,
  sns: snsControl,
  sqs: sqsControl,
  "cognito-idp": cognitoControl,
  scheduler,
  route53,
  cloudtrail,
  events,
};

export function controlPlaneChecks(c: CallContext): Promise<Check[] | undefined> {
  return MAPPERS[c.req.service]?.(c) ?? Promise.resolve(undefined);
}

export type { CallContext } from "./common";
