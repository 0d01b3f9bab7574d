// Event source mapping records: what CreateEventSourceMapping was given, echoed
// back the way Lambda does so that terraform's waiters and read-back see what
// was set. Kept here instead of in moto on purpose: moto wires a mapping into
// the table / queue and, lacking Docker, its "invoke" fails — for a DynamoDB
// table that clears the stream's records (moto treats the error string as
// success), for SQS it receives (and counts a receive of) every sent message.

import { randomUUID } from "node:crypto";
import { AwsCallError, parseArn } from "../aws";
import { parseFilterCriteria, type FilterCriteria } from "./filter";

export type SourceKind = "dynamodb" | "sqs" | "kinesis";

export interface MappingConfig {
  UUID: string;
  region: string;
  kind: SourceKind;
  EventSourceArn: string;
  FunctionArn: string;
  EventSourceMappingArn: string;
  Enabled: boolean;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  StartingPosition?: string;
  StartingPositionTimestamp?: number;
  FilterCriteria?: FilterCriteria;
  FunctionResponseTypes: string[];
  BisectBatchOnFunctionError?: boolean;
  MaximumRetryAttempts?: number;
  MaximumRecordAgeInSeconds?: number;
  DestinationConfig?: { OnFailure?: { Destination?: string }; OnSuccess?: { Destination?: string } };
  ParallelizationFactor?: number;
  TumblingWindowInSeconds?: number;
  ScalingConfig?: { MaximumConcurrency?: number };
  MetricsConfig?: unknown;
  ProvisionedPollerConfig?: unknown;
  KMSKeyArn?: string;
  Tags: Record<string, string>;
  LastModified: number;
  LastProcessingResult: string;
  StateTransitionReason: string;
  /** Fields the caller set explicitly (echoed even when they equal defaults). */
  explicit: Set<string>;
}

const UPDATABLE = [
  "BatchSize",
  "MaximumBatchingWindowInSeconds",
  "FilterCriteria",
  "FunctionResponseTypes",
  "BisectBatchOnFunctionError",
  "MaximumRetryAttempts",
  "MaximumRecordAgeInSeconds",
  "DestinationConfig",
  "ParallelizationFactor",
  "TumblingWindowInSeconds",
  "ScalingConfig",
  "MetricsConfig",
  "KMSKeyArn",
  "ProvisionedPollerConfig",
] as const;

export function sourceKind(arn: string): SourceKind {
  const { service } = parseArn(arn);
  if (service === "dynamodb" && arn.includes("/stream/")) return "dynamodb";
  if (service === "sqs") return "sqs";
  if (service === "kinesis") return "kinesis";
  throw new AwsCallError("InvalidParameterValueException", `Unsupported event source type: ${arn}`, 400);
}

/** Validates and normalises a Create body into a mapping (FunctionArn already resolved). */
export function newMapping(region: string, account: string, body: Record<string, unknown>, functionArn: string): MappingConfig {
  const src = body.EventSourceArn;
  if (typeof src !== "string" || !src) throw new AwsCallError("InvalidParameterValueException", "Missing EventSourceArn", 400);
  const kind = sourceKind(src);
  if (kind === "kinesis") throw new AwsCallError("InvalidParameterValueException", "Kinesis event sources are not emulated by the sandbox", 400);
  const uuid = randomUUID();
  const explicit = new Set(Object.keys(body));
  const m: MappingConfig = {
    UUID: uuid,
    region,
    kind,
    EventSourceArn: src,
    FunctionArn: functionArn,
    EventSourceMappingArn: `arn:aws:lambda:${region}:${account}:event-source-mapping:${uuid}`,
    Enabled: body.Enabled === undefined ? true : body.Enabled === true,
    BatchSize: kind === "sqs" ? 10 : 100,
    MaximumBatchingWindowInSeconds: 0,
    FunctionResponseTypes: [],
    Tags: isRecord(body.Tags) ? (body.Tags as Record<string, string>) : {},
    LastModified: Date.now() / 1000,
    LastProcessingResult: "No records processed",
    StateTransitionReason: "User action",
    explicit,
  };
  if (kind === "dynamodb") {
    const sp = body.StartingPosition;
    if (sp !== "TRIM_HORIZON" && sp !== "LATEST") {
      throw new AwsCallError(
        "InvalidParameterValueException",
        sp === undefined
          ? "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null"
          : `Unsupported starting position for DynamoDB streams: ${String(sp)}`,
        400,
      );
    }
    m.StartingPosition = sp;
    m.MaximumRetryAttempts = -1;
    m.MaximumRecordAgeInSeconds = -1;
    m.ParallelizationFactor = 1;
    m.BisectBatchOnFunctionError = false;
    m.TumblingWindowInSeconds = 0;
  } else if (body.StartingPosition !== undefined) {
    throw new AwsCallError("InvalidParameterValueException", "StartingPosition is not valid for SQS event sources", 400);
  }
  applyUpdate(m, body, true);
  return m;
}

export function applyUpdate(m: MappingConfig, body: Record<string, unknown>, creating = false): void {
  for (const key of UPDATABLE) {
    if (!(key in body)) continue;
    const v = body[key];
    if (v === null || v === undefined) continue;
    (m as unknown as Record<string, unknown>)[key] = v;
    m.explicit.add(key);
  }
  if (!creating && "Enabled" in body && typeof body.Enabled === "boolean") m.Enabled = body.Enabled;
  validate(m);
  m.LastModified = Date.now() / 1000;
}

function validate(m: MappingConfig): void {
  const bad = (msg: string) => {
    throw new AwsCallError("InvalidParameterValueException", msg, 400);
  };
  if (!Number.isInteger(m.BatchSize) || m.BatchSize < 1 || m.BatchSize > 10000) bad(`BatchSize ${m.BatchSize} is out of range`);
  if (m.kind === "sqs" && m.BatchSize > 10 && !(m.MaximumBatchingWindowInSeconds >= 1)) {
    bad("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10");
  }
  if (m.MaximumBatchingWindowInSeconds < 0 || m.MaximumBatchingWindowInSeconds > 300) bad("MaximumBatchingWindowInSeconds out of range");
  for (const t of m.FunctionResponseTypes) if (t !== "ReportBatchItemFailures") bad(`Unsupported FunctionResponseType ${t}`);
  if (m.kind === "dynamodb") {
    const r = m.MaximumRetryAttempts ?? -1;
    if (r < -1 || r > 10000) bad("MaximumRetryAttempts out of range");
    const a = m.MaximumRecordAgeInSeconds ?? -1;
    if (a !== -1 && (a < 60 || a > 604800)) bad("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800");
  }
  try {
    parseFilterCriteria(m.FilterCriteria);
  } catch (e) {
    bad((e as Error).message);
  }
}

/** The mapping as Lambda's GetEventSourceMapping returns it. */
export function describe(m: MappingConfig, state?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    UUID: m.UUID,
    BatchSize: m.BatchSize,
    MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds,
    EventSourceArn: m.EventSourceArn,
    FunctionArn: m.FunctionArn,
    LastModified: m.LastModified,
    State: state ?? (m.Enabled ? "Enabled" : "Disabled"),
    StateTransitionReason: m.StateTransitionReason,
    FunctionResponseTypes: m.FunctionResponseTypes,
    EventSourceMappingArn: m.EventSourceMappingArn,
  };
  if (m.kind === "dynamodb") {
    out.StartingPosition = m.StartingPosition;
    out.ParallelizationFactor = m.ParallelizationFactor;
    out.MaximumRecordAgeInSeconds = m.MaximumRecordAgeInSeconds;
    out.BisectBatchOnFunctionError = m.BisectBatchOnFunctionError;
    out.MaximumRetryAttempts = m.MaximumRetryAttempts;
    out.TumblingWindowInSeconds = m.TumblingWindowInSeconds;
    out.LastProcessingResult = m.LastProcessingResult;
  }
  if (m.FilterCriteria && (m.FilterCriteria.Filters?.length ?? 0) > 0) out.FilterCriteria = m.FilterCriteria;
  if (m.DestinationConfig && m.explicit.has("DestinationConfig")) out.DestinationConfig = m.DestinationConfig;
  if (m.ScalingConfig && m.explicit.has("ScalingConfig")) out.ScalingConfig = m.ScalingConfig;
  if (m.MetricsConfig && m.explicit.has("MetricsConfig")) out.MetricsConfig = m.MetricsConfig;
  if (m.ProvisionedPollerConfig && m.explicit.has("ProvisionedPollerConfig")) out.ProvisionedPollerConfig = m.ProvisionedPollerConfig;
  if (m.KMSKeyArn) out.KMSKeyArn = m.KMSKeyArn;
  if (m.kind === "sqs") {
    for (const k of ["ParallelizationFactor", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "TumblingWindowInSeconds"] as const) {
      if (m.explicit.has(k) && m[k] !== undefined) out[k] = m[k];
    }
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
