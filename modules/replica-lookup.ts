// What the DR stack needs of the primary stack's shared data plane, found by name in the DR
// region (data sources), not through cross-stack references: the table replica (for its stream)
// and the replica of the multi-Region key (for decrypting that stream). So the DR stack plans and
// applies on its own after the primary stack, and while the primary region is down.
import { DataAwsDynamodbTable } from "@cdktf/provider-aws/lib/data-aws-dynamodb-table";
import { DataAwsKmsAlias } from "@cdktf/provider-aws/lib/data-aws-kms-alias";
import type { Construct } from "constructs";

export interface ReplicaLookup {
  /** ARN of the replica key the alias points at. */
  keyArn: string;
  /** The table replica in this region (the replicator keeps its canonical id -> DR user items there). */
  tableArn: string;
  tableName: string;
  /** Stream of the table replica in this region. */
  streamArn: string;
}

export function findReplica(scope: Construct, props: { tableName: string; kmsAlias: string }): ReplicaLookup {
  const key = new DataAwsKmsAlias(scope, "replica-key", { name: props.kmsAlias });
  const table = new DataAwsDynamodbTable(scope, "replica-table", { name: props.tableName });
  return { keyArn: key.targetKeyArn, tableArn: table.arn, tableName: table.name, streamArn: table.streamArn };
}
