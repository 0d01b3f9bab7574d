// The authorizer: a gateway plugin that decides every call a role session makes
// the way AWS does (identity policies, the target's resource policy, the KMS
// permissions the call implies), answers a denial with AWS's error, and records
// every decision for `GET /__sandbox/authz`. It also decides what AWS services do
// on their own (Cognito invoking a trigger, CloudWatch publishing an alarm) and what
// Lambda does with a function's role (writing its logs), for the plugins that
// emulate those services.

import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { awsError, parseArn, parseJson, responseWithJson } from "../aws";
import type { AdminRequest, AdminResponse, SandboxPlugin } from "../gateway";
import type { Authority, AwsRequest, AwsResponse, Next, PermissionCheck, PermissionResult, SessionCredentials } from "../types";
import { withSupportedTagKeys } from "./condition-keys";
import { DecisionLog, type DecisionRecord } from "./decisions";
import { accessDenied, kmsDenied, unmapped } from "./denied";
import { deniedMessage, evaluate, type AuthzRequest, type Decision, type PolicySet } from "./evaluate";
import { Identities } from "./identities";
import { OidcIssuer } from "./oidc";
import { managedKeyPolicy, managedKeyService } from "./managed-keys";
import { PolicyStore, type NamedPolicy } from "./policies";
import { scpsApplyTo } from "./scps";
import { describePrincipal, roleSession, roleUniqueId, type Principal, type RolePrincipal, type ServicePrincipal } from "./principal";
import { checksFor, UnmappedRequest, type Check } from "./requests";
import { handleSts } from "./sts";
import { unusedGrants, type UnusedGrant } from "./unused";

export interface AuthzOptions {
  motoEndpoint: string;
  /** Enforce (default). When false, nothing is evaluated or recorded. */
  enabled?: boolean;
  /** Where to leave this sandbox's decisions and its roles' grants when it stops (the suite-wide report). */
  reportDir?: string;
  /** The organization's SCPs, evaluated for every role session (scps.ts). */
  serviceControlPolicies?: NamedPolicy[];
}

type AuthzResult = PermissionResult;

/** Requests after which a policy or a resource's encryption may have changed. */
function changesPolicies(req: AwsRequest): boolean {
  const op = req.operation ?? "";
  switch (req.service) {
    case "iam":
    case "kms":
    case "sns":
      return !/^(Get|List|Describe|Decrypt|Encrypt|GenerateDataKey|Publish|Subscribe|ConfirmSubscription)/.test(op);
    case "sqs":
      return ["CreateQueue", "SetQueueAttributes", "DeleteQueue", "AddPermission", "RemovePermission"].includes(op);
    case "dynamodb":
      return ["CreateTable", "UpdateTable", "DeleteTable"].includes(op);
    case "lambda":
      return req.method !== "GET" && !/\/invocations$/.test(req.path);
    // What changes a resource's tags or existence (aws:ResourceTag is read from them).
    case "cognito-idp":
      return /^(CreateUserPool|DeleteUserPool|UpdateUserPool|TagResource|UntagResource)$/.test(op);
    case "logs":
    case "monitoring":
      return /^(Create|Delete|Put|Tag|Untag)/.test(op);
    case "scheduler":
      return req.method !== "GET";
    // A bucket's settings (its default encryption decides the KMS checks of its objects), never an object write.
    case "s3":
      return (req.method === "PUT" || req.method === "DELETE") && req.path.split("/").filter(Boolean).length === 1;
    default:
      return false;
  }
}

const ACCOUNT_FALLBACK = "123456789012";

export class AuthzPlugin implements SandboxPlugin, Authority {
  readonly name = "authz";
  readonly identities = new Identities();
  /** The sandbox's stand-in for GitHub's OIDC token issuer (pipeline jobs assume roles with its tokens). */
  readonly issuer = new OidcIssuer();
  readonly store: PolicyStore;
  /** What `GET /authz` shows; `DELETE /authz` clears it. */
  readonly log = new DecisionLog();
  /** Every decision of this sandbox's life, for the least-privilege report (never cleared). */
  private readonly history = new DecisionLog();
  /** The identity policies of every role seen, kept even after terraform destroys the role. */
  private readonly grants = new Map<string, NamedPolicy[]>();
  enabled: boolean;

  private readonly reportDir?: string;
  private readonly scps: NamedPolicy[];

  constructor(opts: AuthzOptions) {
    this.store = new PolicyStore(opts.motoEndpoint);
    this.enabled = opts.enabled ?? true;
    this.reportDir = opts.reportDir;
    this.scps = opts.serviceControlPolicies ?? [];
  }

  async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
    if (req.service === "iam" && /^(DeleteRole|DeleteRolePolicy|DetachRolePolicy|PutRolePolicy)$/.test(req.operation ?? "")) await this.rememberGrants(req);
    const principal = this.identities.principalOf(req.headers, req.query);
    const sts = await handleSts(req, principal, { store: this.store, identities: this.identities, issuer: this.issuer, record: (p, c, d, r) => this.record(p, c, d, r) });
    if (sts) return sts;
    if (principal.kind === "role" && this.enabled) {
      let outcome: Authorized;
      try {
        outcome = await this.authorizeRequest(req, principal);
      } catch (e) {
        // Not retryable: an SDK retries a 500 for minutes, hiding what the sandbox could not decide.
        return awsError(req, 400, "SandboxAuthorizationError", `the sandbox could not decide ${req.service}:${req.operation ?? `${req.method} ${req.path}`}: ${(e as Error).message}`);
      }
      if (outcome.denied) return outcome.denied;
      if (outcome.withheld.length) return withhold(await next(req), outcome.withheld);
    }
    const res = await next(req);
    if (res.status < 300 && changesPolicies(req)) this.store.invalidate();
    return res;
  }

  /** AWS's error answer when a check fails, or the parts of the answer a failed soft check withholds. */
  private async authorizeRequest(req: AwsRequest, principal: RolePrincipal): Promise<Authorized> {
    let checks: Check[];
    try {
      checks = await checksFor(req, principal, this.store);
    } catch (e) {
      if (!(e instanceof UnmappedRequest)) throw e;
      this.record(principal, { action: `${req.service}:${req.operation ?? req.path}`, resource: "?" }, { allowed: false, statements: [] }, "not mapped by the sandbox");
      return { denied: unmapped(req, e.message), withheld: [] };
    }
    const withheld: Withheld[] = [];
    for (const check of checks) {
      const r = await this.decideAny(principal, check, { "aws:RequestedRegion": req.region });
      if (r.allowed) continue;
      if (check.withholds) {
        withheld.push({ ...check.withholds, message: r.message! });
        continue;
      }
      if (check.denial) return { denied: awsError(req, check.denial.status, check.denial.code, check.denial.message), withheld };
      // A key another service uses for the caller (a table's, a queue's) fails as that service reports KMS errors.
      return { denied: check.impliedBy && check.action.startsWith("kms:") && req.service !== "kms" ? kmsDenied(req, r.message!) : accessDenied(req, r.message!), withheld };
    }
    return { withheld };
  }

  /** A check whose `orActions` are alternatives: allowed when any one is (the first denial is reported). */
  private async decideAny(principal: RolePrincipal, check: Check, extra: Record<string, string>): Promise<AuthzResult> {
    const first = await this.decide(principal, check, extra);
    if (first.allowed || !check.orActions?.length) return first;
    for (const action of check.orActions) {
      const r = await this.decide(principal, { ...check, action, orActions: undefined }, extra);
      if (r.allowed) return r;
    }
    return first;
  }

  credentials(roleArn: string, sessionName: string, sessionToken?: string): SessionCredentials {
    return this.identities.issue(roleArn, sessionName, sessionToken);
  }

  roleMay(roleArn: string, sessionName: string, check: PermissionCheck): Promise<PermissionResult> {
    return this.authorizeRole(roleSession(roleArn, sessionName), check);
  }

  serviceMay(service: string, source: { arn?: string; account?: string }, check: PermissionCheck): Promise<PermissionResult> {
    return this.authorizeService({ kind: "service", service, sourceArn: source.arn, sourceAccount: source.account }, check);
  }

  /**
   * The role's trust policy decides whether `service` may assume it (sts:AssumeRole). `source` is
   * what the service acts for (Scheduler: the schedule group), as `aws:SourceArn`/`aws:SourceAccount`.
   */
  async canAssume(roleArn: string, service: string, source: { arn?: string; account?: string } = {}): Promise<PermissionResult> {
    if (!this.enabled) return { allowed: true };
    const principal: ServicePrincipal = { kind: "service", service, sourceArn: source.arn, sourceAccount: source.account };
    const role = roleSession(roleArn, "trust");
    const trust = (await this.store.rolePolicies(role)).trust;
    const request: AuthzRequest = { principal, action: "sts:AssumeRole", resource: roleArn, resourceAccount: role.accountId, context: globalContext(principal, role.accountId) };
    const decision = await evaluate(request, { identity: [], resource: trust });
    const message = decision.allowed ? undefined : decision.error ?? deniedMessage(request, decision);
    this.record(principal, { action: "sts:AssumeRole", resource: roleArn }, decision, message);
    return { allowed: decision.allowed, message };
  }

  /** A role session's permission for one action (Lambda writing a function's logs with its role, say). */
  authorizeRole(principal: RolePrincipal, check: Check): Promise<AuthzResult> {
    if (!this.enabled) return Promise.resolve({ allowed: true });
    return this.decide(principal, check, {});
  }

  /** An AWS service acting on its own: only the resource policy (and a key policy for implied KMS use) can allow it. */
  authorizeService(principal: ServicePrincipal, check: Check): Promise<AuthzResult> {
    if (!this.enabled) return Promise.resolve({ allowed: true });
    return this.decide(principal, check, {});
  }

  private async decide(principal: RolePrincipal | ServicePrincipal, given: Check, extra: Record<string, string>): Promise<AuthzResult> {
    let check = given;
    if (check.resourcePolicy === "kms-key" && check.resource.includes(":alias/") && !managedKeyService(check.resource)) {
      check = { ...check, resource: await this.store.keyArn(parseArn(check.resource).region, check.resource) };
    }
    const arn = parseArn(check.resource);
    const resourceAccount = arn.account || (principal.kind === "role" ? principal.accountId : principal.sourceAccount ?? ACCOUNT_FALLBACK);
    // A service acting for a role (Lambda's pollers, log delivery) calls the resource's regional
    // endpoint, so aws:RequestedRegion is the resource's region unless the caller says otherwise:
    // without it every boundary or policy conditioned on the region would deny them.
    const requested: Record<string, string> = arn.region ? { "aws:RequestedRegion": arn.region } : {};
    const policies = await this.policiesFor(principal, check, arn.region);
    const context = await withSupportedTagKeys(check.action, check.resource, {
      ...(await this.resourceTagContext(check, policies)),
      ...globalContext(principal, resourceAccount),
      ...principalTags(policies.principalTags),
      ...requested,
      ...extra,
      ...(check.context ?? {}),
    });
    const request: AuthzRequest = { principal, action: check.action, resource: check.resource, resourceAccount, context };
    const decision = await evaluate(request, policies);
    const message = decision.allowed ? undefined : decision.error ?? deniedMessage(request, decision);
    // A soft check's denial withholds part of the answer; the log says so, to tell it from a refusal.
    const reason = message && check.withholds ? `withheld ${check.withholds.field} from the answer: ${message}` : message;
    this.record(principal, check, decision, reason, decision.allowed ? undefined : requestKeys(context));
    return { allowed: decision.allowed, message };
  }

  /**
   * Before a role's policies change or go (terraform destroy), keep what it was granted for the
   * report. terraform deletes a role's policies before the role: by DeleteRole it has none left,
   * and that emptied role must not replace the grants kept a moment before (it did, and every
   * destroyed role then reported no grants, so none could ever be unused).
   */
  private async rememberGrants(req: AwsRequest): Promise<void> {
    const roleName = new URLSearchParams(req.body.toString("utf8")).get("RoleName") ?? req.query.get("RoleName");
    if (!roleName) return;
    for (const arn of await this.store.roleArns().catch(() => [] as string[])) {
      if (arn.split("/").pop() !== roleName) continue;
      const role = await this.store.rolePolicies(roleSession(arn, "report")).catch(() => undefined);
      if (role && (role.identity.length > 0 || !this.grants.has(arn))) this.grants.set(arn, role.identity);
    }
  }

  /**
   * `aws:ResourceTag/*` of the resource (or the tags the check gives for one being created), read
   * only when a policy in play mentions resource tags: most calls need no tag lookup.
   */
  private async resourceTagContext(check: Check, policies: PolicySet): Promise<Record<string, string>> {
    if (check.resource === "*" || !JSON.stringify(policies).includes("ResourceTag")) return {};
    const tags = typeof check.resourceTags === "object" ? check.resourceTags : await this.store.resourceTags(check.resourceTags ?? check.resource);
    return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  }

  private async policiesFor(principal: RolePrincipal | ServicePrincipal, check: Check, region: string): Promise<PolicySet & { principalTags?: Record<string, string> }> {
    const role = principal.kind === "role" ? await this.store.rolePolicies(principal) : undefined;
    if (principal.kind === "role" && role) this.grants.set(principal.roleArn, role.identity);
    return {
      identity: role?.identity ?? [],
      boundary: role?.boundary,
      resource: await this.resourcePolicy(check, region),
      scps: scpsApplyTo(principal) ? this.scps : undefined,
      principalTags: role?.tags,
    };
  }

  private async resourcePolicy(check: Check, region: string): Promise<unknown> {
    if (check.resourcePolicyDocument !== undefined) return check.resourcePolicyDocument;
    switch (check.resourcePolicy) {
      case "kms-key": {
        // An AWS managed key by its alias, or a key moto created for `alias/aws/<service>` (moto
        // makes `alias/aws/dynamodb` a customer key): AWS's fixed policy, not moto's.
        const aliases = check.resource.includes(":key/") ? await this.store.keyAliases(check.resource).catch(() => [] as string[]) : [];
        const service = managedKeyService(check.resource) ?? aliases.map(managedKeyService).find(Boolean);
        if (service) return managedKeyPolicy(service, region, parseArn(check.resource).account || ACCOUNT_FALLBACK);
        return this.store.keyPolicy(check.resource);
      }
      case "sqs-queue":
        // Lambda's pollers and mapping checks name a queue by ARN only: its URL follows from it.
        return (await this.store.queue(check.resource, check.queueUrl ?? queueUrlOf(check.resource))).policy;
      case "sns-topic":
        return (await this.store.topic(check.resource)).policy;
      case "lambda-function":
        return this.store.functionPolicy(check.resource);
      default:
        return undefined;
    }
  }

  private record(principal: Principal, check: Pick<Check, "action" | "resource" | "impliedBy">, d: Decision, reason?: string, context?: Record<string, string | string[]>): void {
    const entry = {
      context,
      principal: describePrincipal(principal),
      role: principal.kind === "role" ? principal.roleArn : undefined,
      action: check.action,
      resource: check.resource,
      allowed: d.allowed,
      statements: d.statements,
      reason,
      impliedBy: check.impliedBy,
    };
    this.log.add(entry);
    this.history.add(entry);
  }

  /** Per role this sandbox has known: the granted actions no allowed decision used. */
  async unused(): Promise<Array<{ role: string; unused: UnusedGrant[] }>> {
    const snap = await this.snapshot();
    return snap.roles.map((r) => ({ role: r.roleArn, unused: unusedGrants({ roleArn: r.roleArn, policies: r.policies as NamedPolicy[] }, snap.decisions) }));
  }

  /** What a run leaves for the suite-wide report: every decision and every role's grants (destroyed roles included). */
  async snapshot(): Promise<{ host: string; decisions: DecisionRecord[]; roles: Array<{ roleArn: string; policies: unknown[] }> }> {
    const roles = new Map(this.grants);
    for (const roleArn of await this.store.roleArns().catch(() => [] as string[])) {
      const p = await this.store.rolePolicies(roleSession(roleArn, "report")).catch(() => undefined);
      if (p) roles.set(roleArn, p.identity);
    }
    return { host: hostname(), decisions: this.history.list(), roles: [...roles].map(([roleArn, policies]) => ({ roleArn, policies })) };
  }

  /**
   * With a report dir, each sandbox leaves its decisions and its roles' grants there when it stops,
   * for the suite-wide least-privilege report (test/e2e/authz-report.ts).
   */
  async stop(): Promise<void> {
    const dir = this.reportDir;
    if (!dir || this.history.list().length === 0) return;
    const snap = await this.snapshot().catch((e: Error) => ({ error: e.message, decisions: this.log.list(), roles: [] }));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `authz-${process.pid}-${Date.now()}-${randomUUID().slice(0, 8)}.json`), JSON.stringify(snap));
  }

  async admin(req: AdminRequest): Promise<AdminResponse | undefined> {
    if (req.path === "/authz") {
      if (req.method === "GET") return { body: { enabled: this.enabled, decisions: this.log.list() } };
      if (req.method === "DELETE") {
        this.log.clear();
        return { body: { ok: true } };
      }
      if (req.method === "POST" && typeof req.body?.enabled === "boolean") {
        this.enabled = req.body.enabled;
        return { body: { enabled: this.enabled } };
      }
    }
    if (req.path === "/authz/unused" && req.method === "GET") return { body: { roles: await this.unused() } };
    if (req.path === "/oidc/token" && req.method === "POST") {
      const b = (req.body ?? {}) as { sub?: unknown; aud?: unknown; ttlSeconds?: unknown; claims?: Record<string, string> };
      if (typeof b.sub !== "string" || !b.sub) return { status: 400, body: { error: "sub (the job's OIDC subject, repo:<owner>/<repo>:environment:<name>) is required" } };
      const token = this.issuer.mint({ sub: b.sub, aud: typeof b.aud === "string" ? b.aud : undefined, ttlSeconds: typeof b.ttlSeconds === "number" ? b.ttlSeconds : undefined, extra: b.claims });
      return { body: { token } };
    }
    return undefined;
  }
}

type Withheld = { field: string; errorField: string; message: string };
type Authorized = { denied?: AwsResponse; withheld: Withheld[] };

/** A successful JSON answer without what the caller may not see, each with its error in AWS's shape ({ErrorCode, Message}). */
function withhold(res: AwsResponse, withheld: Withheld[]): AwsResponse {
  const json = res.status < 300 ? parseJson(res) : undefined;
  if (!json || typeof json !== "object") return res;
  for (const w of withheld) {
    delete json[w.field];
    json[w.errorField] = { ErrorCode: "AccessDeniedException", Message: w.message };
  }
  return responseWithJson(res, json);
}

/** The keys that describe this request (a prefix, tags, a passed role's service), without those every request carries. */
function requestKeys(context: Record<string, string | string[]>): Record<string, string | string[]> {
  const everyRequest = /^aws:(CurrentTime|EpochTime|SecureTransport|ResourceAccount|PrincipalArn|PrincipalAccount|PrincipalType|PrincipalIsAWSService|userid|PrincipalServiceName|SourceOwner|PrincipalTag\/.*)$/;
  return Object.fromEntries(Object.entries(context).filter(([k]) => !everyRequest.test(k)));
}

/**
 * `aws:PrincipalTag/<key>` for each tag of the session's role (IAM User Guide, "AWS global condition
 * context keys": "the tags attached to the principal making the request"; a role session carries
 * its role's tags, and the sandbox's sessions pass no session tags).
 */
function principalTags(tags: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(tags ?? {}).map(([k, v]) => [`aws:PrincipalTag/${k}`, v]));
}

/** `arn:aws:sqs:<region>:<account>:<name>` → a queue URL moto answers to (it reads the name and account from the path). */
function queueUrlOf(queueArn: string): string {
  const a = parseArn(queueArn);
  return `https://sqs.${a.region}.amazonaws.com/${a.account}/${a.resource}`;
}

/** Global condition keys AWS sets on every request of a principal (IAM User Guide, "AWS global condition context keys"). */
function globalContext(p: RolePrincipal | ServicePrincipal, resourceAccount: string): Record<string, string | string[]> {
  const now = new Date();
  const base = { "aws:CurrentTime": now.toISOString(), "aws:EpochTime": String(Math.floor(now.getTime() / 1000)), "aws:SecureTransport": "true", "aws:ResourceAccount": resourceAccount };
  if (p.kind === "service") {
    return {
      ...base,
      "aws:PrincipalServiceName": p.service,
      "aws:PrincipalIsAWSService": "true",
      ...(p.sourceArn ? { "aws:SourceArn": p.sourceArn } : {}),
      ...(p.sourceAccount ? { "aws:SourceAccount": p.sourceAccount, "aws:SourceOwner": p.sourceAccount } : {}),
    };
  }
  return {
    ...base,
    "aws:PrincipalArn": p.roleArn,
    "aws:PrincipalAccount": p.accountId,
    "aws:PrincipalType": "AssumedRole",
    "aws:PrincipalIsAWSService": "false",
    "aws:userid": `${roleUniqueId(p)}:${p.sessionName}`,
  };
}
