// The failover control item (FAILOVER_CONTROL_KEY, handlers/contract.ts) in the replicated table:
// `{ state, changedAt, by }`. The failover writes `failed-over` into the DR replica (its region only:
// the primary may be down), which opens the DR pool to self sign-ups in two-way mode (the
// pre-sign-up trigger reads it there); the failback reads `changedAt` to know which DR-originated
// records to wait for, and writes `normal`, closing them again. One module so failover, failback
// and the game day read and write the same shape.
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { FAILOVER_CONTROL_KEY, FAILOVER_STATES, TABLE_KEY, type FailoverState } from "../../handlers/contract";

type Ddb = Pick<DynamoDBClient, "send">;

export interface FailoverControl {
  state: FailoverState;
  /** Epoch ms of the change. */
  changedAt: number;
  /** Which step wrote it: `failover`, `failback` or `gameday`. */
  by: string;
  /**
   * On a `normal` item written by the failback: the `changedAt` of the failover it ended, so a
   * failback run again (it stopped after closing sign-ups) still knows which records to wait for.
   */
  failedOverAt?: number;
}

/** The control item as the replica in `ddb`'s region holds it now (strongly consistent), or undefined. */
export async function readFailoverControl(ddb: Ddb, tableName: string): Promise<FailoverControl | undefined> {
  const out = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { [TABLE_KEY]: { S: FAILOVER_CONTROL_KEY } }, ConsistentRead: true }));
  const item = out.Item;
  if (!item) return undefined;
  const state = item.state?.S as FailoverState | undefined;
  const changedAt = Number(item.changedAt?.N);
  if (!state || !FAILOVER_STATES.includes(state) || !Number.isFinite(changedAt)) {
    throw new Error(`the table's ${FAILOVER_CONTROL_KEY} item is malformed (state ${String(state)}, changedAt ${String(item.changedAt?.N)}); write it again with the failover or failback step`);
  }
  const failedOverAt = item.failedOverAt?.N !== undefined ? Number(item.failedOverAt.N) : undefined;
  return { state, changedAt, by: item.by?.S ?? "unknown", ...(failedOverAt !== undefined ? { failedOverAt } : {}) };
}

/** Writes the control item (unconditionally: the last step run says where sign-in is). */
export async function writeFailoverControl(ddb: Ddb, tableName: string, control: FailoverControl): Promise<void> {
  await ddb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        [TABLE_KEY]: { S: FAILOVER_CONTROL_KEY },
        state: { S: control.state },
        changedAt: { N: String(control.changedAt) },
        by: { S: control.by },
        ...(control.failedOverAt !== undefined ? { failedOverAt: { N: String(control.failedOverAt) } } : {}),
      },
    }),
  );
}

/**
 * Since when the failback must wait for DR-originated records: the failover's `changedAt`, or, when
 * a failback already wrote `normal`, the failover time it kept. Undefined: no failover recorded.
 */
export function failedOverSince(control: FailoverControl | undefined): number | undefined {
  if (!control) return undefined;
  return control.state === "failed-over" ? control.changedAt : control.failedOverAt;
}
