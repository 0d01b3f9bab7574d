// PreSignUp trigger of the DR pool: who may create a user there, and when.
// - Administrators' creates (PreSignUp_AdminCreateUser: the replicator, reconcile, operators) are
//   authorized by IAM and always pass.
// - Self sign-ups (PreSignUp_SignUp) and first federated sign-ins (PreSignUp_ExternalProvider) pass
//   only under the `while-failed-over` policy (two-way mode) while the failover step has marked the
//   environment failed over (FAILOVER_CONTROL_KEY in the table's replica in this region). Otherwise
//   anyone could claim a victim's email in DR before the victim is replicated there (the victim's
//   record would then park as a conflict: a lockout at failover).
// Cognito refuses the sign-up when this trigger throws (UserLambdaValidationException, with the
// message): the message says why, without the user's data. A failed read refuses too (fail closed).
import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, PreSignUpTriggerEvent } from "aws-lambda";
import { FAILOVER_CONTROL_KEY, TABLE_KEY } from "../contract";
import type { PreSignUpConfig } from "../shared/env";
import { count, METRIC, type MetricsSink } from "../shared/metrics";
import { quiet } from "../shared/quiet";

export interface PreSignUpDeps {
  ddb: Pick<DynamoDBClient, "send">;
  config: PreSignUpConfig;
  logger: Logger;
  /** Refusals are this function's answers, not its errors: they are counted, and only an unreadable state alarms. */
  metrics: MetricsSink;
}

export const SIGNUPS_CLOSED = "Sign-ups are closed in this region: it is the disaster-recovery copy. Sign up in the primary region.";
export const SIGNUPS_UNKNOWN = "Sign-ups in this region are open only during a failover, and whether one is on could not be read. Try again shortly.";

/** Whether the failover step has marked the environment failed over (a strongly consistent read in this region). */
export async function failedOver(ddb: Pick<DynamoDBClient, "send">, tableName: string): Promise<boolean> {
  const out = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { [TABLE_KEY]: { S: FAILOVER_CONTROL_KEY } }, ConsistentRead: true, ProjectionExpression: "#s", ExpressionAttributeNames: { "#s": "state" } }));
  return out.Item?.state?.S === "failed-over";
}

export function makeHandler(deps: PreSignUpDeps) {
  const { config, logger } = deps;
  const metrics = quiet(deps.metrics);

  async function decide(event: PreSignUpTriggerEvent): Promise<void> {
    const where = { triggerSource: event.triggerSource, userPoolId: event.userPoolId };
    if (event.triggerSource === "PreSignUp_AdminCreateUser") return;
    if (config.policy === "never") {
      logger.info("self sign-up refused: this pool takes none", where);
      count(metrics, METRIC.SignUpsRefused);
      throw new Error(SIGNUPS_CLOSED);
    }
    let open: boolean;
    try {
      open = await failedOver(deps.ddb, config.tableName);
    } catch (err) {
      logger.error("self sign-up refused: the failover state could not be read", { ...where, error: (err as Error).name });
      count(metrics, METRIC.FailoverStateUnreadable);
      throw new Error(SIGNUPS_UNKNOWN);
    }
    if (!open) {
      logger.info("self sign-up refused: not failed over", where);
      count(metrics, METRIC.SignUpsRefused);
      throw new Error(SIGNUPS_CLOSED);
    }
    logger.info("self sign-up allowed: failed over", where);
  }

  return async function handler(event: PreSignUpTriggerEvent, context?: Context): Promise<PreSignUpTriggerEvent> {
    if (context) logger.addContext(context);
    try {
      await decide(event);
      return event;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
