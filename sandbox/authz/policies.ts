// The policies and resource settings authorization reads, taken from moto exactly
// as terraform created them: a role's inline and attached policies and its
// permissions boundary, and the resource policies AWS consults (KMS key policies,
// SQS queue policies, SNS topic policies, Lambda function policies), plus which
// KMS key encrypts a table, queue or topic (for the KMS permissions they imply).
//
// Reads go to moto directly (no quotas, no faults, no authorization) and are cached
// until something changes a policy: the authorizer calls `invalidate()` whenever a
// request that can change one passes through the gateway.

import { GetEventSourceMappingCommand, GetPolicyCommand as GetLambdaPolicyCommand, LambdaClient, ListTagsCommand, ResourceNotFoundException } from "@aws-sdk/client-lambda";
import { CloudWatchClient, DescribeAlarmsCommand, ListTagsForResourceCommand as ListAlarmTagsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand } from "@aws-sdk/client-dynamodb";
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetOpenIDConnectProviderCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  paginateListRoles,
} from "@aws-sdk/client-iam";
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, ListAliasesCommand, ListResourceTagsCommand } from "@aws-sdk/client-kms";
import { GetBucketEncryptionCommand, S3Client } from "@aws-sdk/client-s3";
import { GetTopicAttributesCommand, ListTagsForResourceCommand as ListTopicTagsCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueueTagsCommand, SQSClient } from "@aws-sdk/client-sqs";
import { motoJson, parseArn } from "../aws";
import type { RolePrincipal } from "./principal";

export interface NamedPolicy {
  name: string;
  policy: unknown;
}

export interface RolePolicies {
  identity: NamedPolicy[];
  boundary?: NamedPolicy;
  trust?: unknown;
  /** The role's tags: a session's `aws:PrincipalTag/<key>` (IAM User Guide, "AWS global condition context keys"). */
  tags: Record<string, string>;
}

/** A policy document as AWS returns it: JSON, URL-encoded by IAM. */
function parseDocument(doc: string | undefined): unknown {
  if (!doc) return undefined;
  const text = doc.trimStart().startsWith("{") ? doc : decodeURIComponent(doc);
  return JSON.parse(text);
}

const CREDENTIALS = { accessKeyId: "sandbox-authz", secretAccessKey: "sandbox-authz" };

export class PolicyStore {
  private cache = new Map<string, Promise<unknown>>();
  private clients = new Map<string, unknown>();

  constructor(private readonly motoEndpoint: string) {}

  /** Forget everything read so far (a policy or a resource setting may have changed). */
  invalidate(): void {
    this.cache.clear();
  }

  private client<T>(kind: string, region: string, make: (cfg: object) => T): T {
    const key = `${kind}/${region}`;
    let c = this.clients.get(key) as T | undefined;
    if (!c) {
      c = make({ region, endpoint: this.motoEndpoint, credentials: CREDENTIALS, maxAttempts: 4 });
      this.clients.set(key, c);
    }
    return c;
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load();
      this.cache.set(key, p);
      // A failed read is not remembered: the next request tries again.
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  /** Inline and attached policies, permissions boundary, trust policy and tags of a role. */
  rolePolicies(p: RolePrincipal): Promise<RolePolicies> {
    return this.cached(`role:${p.roleArn}`, async () => {
      const iam = this.client("iam", "us-east-1", (c) => new IAMClient(c));
      const role = (await iam.send(new GetRoleCommand({ RoleName: p.roleName }))).Role;
      const identity: NamedPolicy[] = [];
      const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: p.roleName }));
      for (const name of inline.PolicyNames ?? []) {
        const doc = await iam.send(new GetRolePolicyCommand({ RoleName: p.roleName, PolicyName: name }));
        identity.push({ name, policy: parseDocument(doc.PolicyDocument) });
      }
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: p.roleName }));
      for (const a of attached.AttachedPolicies ?? []) identity.push({ name: a.PolicyName ?? a.PolicyArn!, policy: await this.managedPolicy(iam, a.PolicyArn!) });
      const boundaryArn = role?.PermissionsBoundary?.PermissionsBoundaryArn;
      const boundary = boundaryArn ? { name: boundaryArn, policy: await this.managedPolicy(iam, boundaryArn) } : undefined;
      const tags = Object.fromEntries((role?.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ""]));
      return { identity, boundary, trust: parseDocument(role?.AssumeRolePolicyDocument), tags };
    });
  }

  /** A role by name as IAM has it (ARN with its path, permissions boundary, tags), or undefined. */
  role(name: string): Promise<{ arn: string; boundary?: string; tags: Record<string, string> } | undefined> {
    return this.cached(`roleinfo:${name}`, async () => {
      const iam = this.client("iam", "us-east-1", (c) => new IAMClient(c));
      try {
        const r = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
        if (!r?.Arn) return undefined;
        return { arn: r.Arn, boundary: r.PermissionsBoundary?.PermissionsBoundaryArn, tags: Object.fromEntries((r.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""])) };
      } catch (e) {
        if ((e as Error).name === "NoSuchEntityException" || (e as Error).name === "NoSuchEntity") return undefined;
        throw e;
      }
    });
  }

  /** Whether the account has the service-linked role of `service` (IAM keeps it under `/aws-service-role/<service>/`). */
  serviceLinkedRoleExists(service: string): Promise<boolean> {
    return this.cached(`slr:${service}`, async () => {
      const iam = this.client("iam", "us-east-1", (c) => new IAMClient(c));
      for await (const page of paginateListRoles({ client: iam }, { PathPrefix: `/aws-service-role/${service}/` })) if ((page.Roles ?? []).length) return true;
      return false;
    });
  }

  /** The account's IAM OIDC providers: ARN, issuer URL (without scheme) and audiences. */
  oidcProviders(): Promise<Array<{ arn: string; url: string; clientIds: string[] }>> {
    return this.cached("oidc-providers", async () => {
      const iam = this.client("iam", "us-east-1", (c) => new IAMClient(c));
      const out: Array<{ arn: string; url: string; clientIds: string[] }> = [];
      for (const p of (await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []) {
        const d = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: p.Arn }));
        out.push({ arn: p.Arn!, url: (d.Url ?? "").replace(/^https:\/\//, ""), clientIds: d.ClientIDList ?? [] });
      }
      return out;
    });
  }

  /** Every role in the account (IAM is global). */
  async roleArns(): Promise<string[]> {
    const iam = this.client("iam", "us-east-1", (c) => new IAMClient(c));
    const out: string[] = [];
    for await (const page of paginateListRoles({ client: iam }, {})) for (const r of page.Roles ?? []) if (r.Arn) out.push(r.Arn);
    return out;
  }

  private async managedPolicy(iam: IAMClient, arn: string): Promise<unknown> {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }));
    return parseDocument(version.PolicyVersion?.Document);
  }

  /** The key ARN behind a key id, key ARN, alias name or alias ARN, in `region`. */
  keyArn(region: string, ref: string): Promise<string> {
    return this.cached(`key:${region}:${ref}`, async () => {
      const kms = this.client("kms", region, (c) => new KMSClient(c));
      const meta = (await kms.send(new DescribeKeyCommand({ KeyId: ref }))).KeyMetadata;
      if (!meta?.Arn) throw new Error(`no KMS key ${ref} in ${region}`);
      return meta.Arn;
    });
  }

  /** The aliases of a key (the `kms:ResourceAliases` condition key of its cryptographic operations). */
  keyAliases(keyArn: string): Promise<string[]> {
    return this.cached(`keyaliases:${keyArn}`, async () => {
      const kms = this.client("kms", parseArn(keyArn).region, (c) => new KMSClient(c));
      const out = await kms.send(new ListAliasesCommand({ KeyId: keyArn.split("/").pop() }));
      return (out.Aliases ?? []).map((a) => a.AliasName!).filter(Boolean);
    });
  }

  keyPolicy(keyArn: string): Promise<unknown> {
    return this.cached(`keypolicy:${keyArn}`, async () => {
      const kms = this.client("kms", parseArn(keyArn).region, (c) => new KMSClient(c));
      // A key that does not exist has no policy (KMS then answers NotFoundException to the call itself).
      const out = await kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: "default" })).catch((e: Error) => {
        if (e.name === "NotFoundException") return { Policy: undefined };
        throw e;
      });
      return parseDocument(out.Policy);
    });
  }

  /** The customer managed (or AWS managed) key of a table in `region`, or undefined for an AWS owned key. */
  tableKey(region: string, tableName: string): Promise<string | undefined> {
    return this.cached(`table:${region}:${tableName}`, async () => {
      const ddb = this.client("dynamodb", region, (c) => new DynamoDBClient(c));
      const t = (await ddb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
      const sse = t?.SSEDescription;
      if (!sse || sse.Status === "DISABLED" || !sse.KMSMasterKeyArn) return undefined;
      return this.keyArn(region, sse.KMSMasterKeyArn);
    });
  }

  /**
   * A bucket's default SSE-KMS key and whether the S3 Bucket Key is on (undefined: SSE-S3 or no
   * default encryption). A key given by id or alias is looked up in `region`, the request's.
   */
  bucketKey(bucket: string, region: string): Promise<{ keyArn: string; bucketKey: boolean } | undefined> {
    return this.cached(`bucketkey:${bucket}`, async () => {
      const s3 = this.client("s3", region, (c) => new S3Client({ ...c, forcePathStyle: true }));
      const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })).catch((e: Error) => {
        if (e.name === "ServerSideEncryptionConfigurationNotFoundError" || e.name === "NoSuchBucket") return undefined;
        throw e;
      });
      const rule = out?.ServerSideEncryptionConfiguration?.Rules?.[0];
      const ref = rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
      if (!rule || !ref || !/^aws:kms/.test(rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? "")) return undefined;
      const keyArn = ref.startsWith("arn:") && ref.includes(":key/") ? ref : await this.keyArn(ref.startsWith("arn:") ? parseArn(ref).region : region, ref);
      return { keyArn, bucketKey: rule.BucketKeyEnabled === true };
    });
  }

  /** Queue policy and SSE-KMS key (undefined for SSE-SQS or none). */
  queue(queueArn: string, queueUrl: string): Promise<{ policy?: unknown; keyArn?: string }> {
    return this.cached(`queue:${queueArn}`, async () => {
      const region = parseArn(queueArn).region;
      const sqs = this.client("sqs", region, (c) => new SQSClient(c));
      // A queue that does not exist (any more) has no policy; the call itself then fails as SQS answers it.
      const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["Policy", "KmsMasterKeyId"] })).catch((e: Error) => {
        if (/NonExistentQueue|QueueDoesNotExist/.test(e.name)) return { Attributes: {} as Record<string, string> };
        throw e;
      })).Attributes ?? {};
      return { policy: parseDocument(a.Policy), keyArn: a.KmsMasterKeyId ? await this.keyArn(region, a.KmsMasterKeyId) : undefined };
    });
  }

  /** Topic policy and SSE key reference (kept as configured: `alias/aws/sns` is an AWS managed key). */
  topic(topicArn: string): Promise<{ policy?: unknown; keyRef?: string }> {
    return this.cached(`topic:${topicArn}`, async () => {
      const sns = this.client("sns", parseArn(topicArn).region, (c) => new SNSClient(c));
      // A topic that does not exist has no policy (the call itself then fails as SNS answers it).
      const a = (await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn })).catch((e: Error) => {
        if (e.name === "NotFoundException" || e.name === "NotFound") return { Attributes: {} as Record<string, string> };
        throw e;
      })).Attributes ?? {};
      return { policy: parseDocument(a.Policy), keyRef: a.KmsMasterKeyId || undefined };
    });
  }

  /**
   * A resource's tags as its service reports them (`aws:ResourceTag/*`); {} for a resource that
   * does not exist (yet) or a kind the sandbox does not read tags of.
   */
  resourceTags(arn: string): Promise<Record<string, string>> {
    return this.cached(`tags:${arn}`, async () => {
      const a = parseArn(arn);
      const pairs = (list: Array<{ Key?: string; Value?: string; TagKey?: string; TagValue?: string }> | undefined) =>
        Object.fromEntries((list ?? []).map((t) => [t.Key ?? t.TagKey ?? "", t.Value ?? t.TagValue ?? ""]));
      try {
        switch (a.service) {
          case "cognito-idp": {
            // moto's ListTagsForResource fails (HTTP 500); DescribeUserPool carries the same tags.
            const pool = a.resource.split("/")[1]!;
            const known = this.poolTagsSource?.(pool, a.region);
            if (known) return known;
            return ((await motoJson(this.motoEndpoint, "cognito-idp", a.region, "DescribeUserPool", { UserPoolId: pool })).UserPool?.UserPoolTags ?? {}) as Record<string, string>;
          }
          case "kms":
            return pairs((await this.client("kms", a.region, (c) => new KMSClient(c)).send(new ListResourceTagsCommand({ KeyId: arn }))).Tags);
          case "dynamodb":
            return pairs((await this.client("dynamodb", a.region, (c) => new DynamoDBClient(c)).send(new ListTagsOfResourceCommand({ ResourceArn: arn.replace(/\/(stream|index)\/.*$/, "") }))).Tags);
          case "lambda":
            if (arn.includes(":event-source-mapping:") && this.mappingSource) return this.mappingSource().find((m) => arn.endsWith(`:${m.UUID}`))?.Tags ?? {};
            return (await this.client("lambda", a.region, (c) => new LambdaClient(c)).send(new ListTagsCommand({ Resource: arn }))).Tags ?? {};
          case "sqs": {
            const sqs = this.client("sqs", a.region, (c) => new SQSClient(c));
            const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: a.resource }))).QueueUrl;
            return (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
          }
          case "sns":
            return pairs((await this.client("sns", a.region, (c) => new SNSClient(c)).send(new ListTopicTagsCommand({ ResourceArn: arn }))).Tags);
          case "logs":
            return ((await motoJson(this.motoEndpoint, "logs", a.region, "ListTagsForResource", { resourceArn: arn })).tags ?? {}) as Record<string, string>;
          case "cloudwatch":
            return pairs((await this.client("cloudwatch", a.region, (c) => new CloudWatchClient(c)).send(new ListAlarmTagsCommand({ ResourceARN: arn }))).Tags);
          case "iam": {
            const name = a.resource.startsWith("role/") ? a.resource.split("/").pop()! : undefined;
            return name ? ((await this.role(name))?.tags ?? {}) : {};
          }
          default:
            return {};
        }
      } catch {
        return {};
      }
    });
  }

  /** The Cognito plugin's pool tags (moto cannot change a pool's tags after CreateUserPool). */
  poolTagsSource?: (poolId: string, region: string) => Record<string, string> | undefined;

  /** Where event source mappings live when the sandbox's Lambda runtime owns them (moto knows none of them then). */
  mappingSource?: () => Array<{ UUID: string; FunctionArn: string; Tags?: Record<string, string> }>;

  /** The function an event source mapping feeds, or undefined. */
  mappingFunction(region: string, uuid: string): Promise<string | undefined> {
    if (this.mappingSource) return Promise.resolve(this.mappingSource().find((m) => m.UUID === uuid)?.FunctionArn);
    return this.cached(`esm:${region}:${uuid}`, async () => {
      const lambda = this.client("lambda", region, (c) => new LambdaClient(c));
      return (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })).catch(() => undefined))?.FunctionArn;
    });
  }

  /** Whether an alarm exists (tags of a PutMetricAlarm apply only when it creates the alarm). */
  async alarmExists(region: string, name: string): Promise<boolean> {
    const cw = this.client("cloudwatch", region, (c) => new CloudWatchClient(c));
    return ((await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms ?? []).length > 0;
  }

  /** A Lambda function's resource policy (AddPermission statements), or undefined when it has none. */
  functionPolicy(functionArn: string): Promise<unknown> {
    return this.cached(`fnpolicy:${functionArn}`, async () => {
      const lambda = this.client("lambda", parseArn(functionArn).region, (c) => new LambdaClient(c));
      try {
        return parseDocument((await lambda.send(new GetLambdaPolicyCommand({ FunctionName: functionArn }))).Policy);
      } catch (e) {
        if (e instanceof ResourceNotFoundException) return undefined;
        throw e;
      }
    });
  }
}
