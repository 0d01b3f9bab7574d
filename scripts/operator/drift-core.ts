// drift's comparison: the configuration of the primary and the DR pool (password policy, schema,
// sign-in policy, MFA, tier, email sender, app clients, triggers and the code hash of each
// trigger function in its region), normalised, as a list of leaf differences; and, in either pool,
// every app client that can write the canonical id attribute (canonicalIdWriters).
import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListUserPoolClientsCommand,
  type CognitoIdentityProviderClient,
  type UserPoolClientType,
  type UserPoolType,
} from "@aws-sdk/client-cognito-identity-provider";
import { GetFunctionCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { CANONICAL_ID_ATTRIBUTE } from "../../handlers/contract";

type Cognito = Pick<CognitoIdentityProviderClient, "send">;
type Lambda = Pick<LambdaClient, "send">;

export interface Difference {
  /** `pool`, `client:<name>` or `trigger:<TriggerName>`. */
  area: string;
  field: string;
  primary: unknown;
  dr: unknown;
}

/** Triggers only the primary pool has by design in one-way mode (DR captures nothing; two-way gives DR one too, D10). */
export const PRIMARY_ONLY_TRIGGERS = ["PostConfirmation"];

/**
 * Triggers only the DR pool has by design, in both modes: PreSignUp refuses self sign-ups to the DR
 * pool unless failed over in two-way mode (D7); the primary pool takes sign-ups always, so it has none.
 */
export const DR_ONLY_TRIGGERS = ["PreSignUp"];

const byName = <T extends { Name?: string }>(list: T[] | undefined) => [...(list ?? [])].sort((a, b) => ((a.Name ?? "") < (b.Name ?? "") ? -1 : 1));
const sorted = (list: string[] | undefined) => (list ? [...list].sort() : undefined);

/** The pool settings that must be identical, normalised (order-free lists, no ids or dates). */
export function poolSettings(p: UserPoolType): Record<string, unknown> {
  return {
    PasswordPolicy: p.Policies?.PasswordPolicy,
    SignInPolicy: { AllowedFirstAuthFactors: sorted(p.Policies?.SignInPolicy?.AllowedFirstAuthFactors) },
    Schema: byName(p.SchemaAttributes).map((a) => ({
      Name: a.Name,
      AttributeDataType: a.AttributeDataType,
      Mutable: a.Mutable,
      Required: a.Required,
      DeveloperOnlyAttribute: a.DeveloperOnlyAttribute,
      StringAttributeConstraints: a.StringAttributeConstraints,
      NumberAttributeConstraints: a.NumberAttributeConstraints,
    })),
    MfaConfiguration: p.MfaConfiguration,
    UserPoolTier: p.UserPoolTier,
    UsernameAttributes: sorted(p.UsernameAttributes),
    AliasAttributes: sorted(p.AliasAttributes),
    UsernameConfiguration: p.UsernameConfiguration,
    AutoVerifiedAttributes: sorted(p.AutoVerifiedAttributes),
    AccountRecoverySetting: p.AccountRecoverySetting,
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: p.AdminCreateUserConfig?.AllowAdminCreateUserOnly },
    // Both pools keep the old email until the new one is verified (issue 22): a pool that lost it lets
    // anyone move their account onto a victim's address there.
    UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: sorted(p.UserAttributeUpdateSettings?.AttributesRequireVerificationBeforeUpdate) },
    DeletionProtection: p.DeletionProtection,
    // Same sender in both regions; the SES identity is each region's own (same name, its region in
    // the ARN), so the ARN is compared without its region and account.
    EmailConfiguration: {
      EmailSendingAccount: p.EmailConfiguration?.EmailSendingAccount,
      From: p.EmailConfiguration?.From,
      ConfigurationSet: p.EmailConfiguration?.ConfigurationSet,
      SourceIdentity: p.EmailConfiguration?.SourceArn?.split(":").slice(5).join(":"),
    },
  };
}

export function clientSettings(c: UserPoolClientType): Record<string, unknown> {
  return {
    ExplicitAuthFlows: sorted(c.ExplicitAuthFlows),
    CallbackURLs: sorted(c.CallbackURLs),
    LogoutURLs: sorted(c.LogoutURLs),
    AllowedOAuthFlows: sorted(c.AllowedOAuthFlows),
    AllowedOAuthScopes: sorted(c.AllowedOAuthScopes),
    AllowedOAuthFlowsUserPoolClient: c.AllowedOAuthFlowsUserPoolClient,
    SupportedIdentityProviders: sorted(c.SupportedIdentityProviders),
    ReadAttributes: sorted(c.ReadAttributes),
    WriteAttributes: sorted(c.WriteAttributes),
    AccessTokenValidity: c.AccessTokenValidity,
    IdTokenValidity: c.IdTokenValidity,
    RefreshTokenValidity: c.RefreshTokenValidity,
    TokenValidityUnits: c.TokenValidityUnits,
    PreventUserExistenceErrors: c.PreventUserExistenceErrors,
    EnableTokenRevocation: c.EnableTokenRevocation,
    GenerateSecret: c.ClientSecret !== undefined,
  };
}

/** Trigger name -> function ARN (v2 pre-token and sender triggers included). */
export function triggers(p: UserPoolType): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(p.LambdaConfig ?? {})) {
    if (typeof value === "string") {
      if (key !== "KMSKeyID") out[key] = value;
    } else if (value && typeof value === "object" && typeof (value as { LambdaArn?: unknown }).LambdaArn === "string") {
      out[key] = (value as { LambdaArn: string }).LambdaArn;
    }
  }
  // The V1 PreTokenGeneration field mirrors PreTokenGenerationConfig when both are set.
  if (out.PreTokenGenerationConfig && out.PreTokenGeneration === out.PreTokenGenerationConfig) delete out.PreTokenGeneration;
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Leaf-level differences between two normalised values. */
export function diffValues(area: string, a: unknown, b: unknown, path = ""): Difference[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(area, a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x) => isObject(x))) {
    return a.flatMap((x, i) => diffValues(area, x, b[i], `${path}[${(x as { Name?: string }).Name ?? i}]`));
  }
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null) ? [] : [{ area, field: path || "(value)", primary: a ?? null, dr: b ?? null }];
}

/** An app client that can write the canonical id attribute: a user of it could claim someone else's id. */
export interface CanonicalIdWriter {
  pool: "primary" | "dr";
  client: string;
  clientId?: string;
  why: string;
}

/**
 * The clients of one pool that can write `custom:<attribute>`: those listing it in WriteAttributes,
 * and those with no WriteAttributes at all. Cognito's API reference gives such a client "the
 * Standard attributes" only, but observed behaviour is wider: every attribute, custom ones included,
 * but the two *_verified flags (aws/aws-cdk#30608; hashicorp/terraform-provider-aws#28684, where an
 * empty list is dropped and "all attributes are marked as writable"); the sandbox emulates the same
 * (sandbox/cognito/client-attributes.ts). An empty list counts as none, since terraform drops it.
 */
export function canonicalIdWriters(pool: "primary" | "dr", clients: ReadonlyMap<string, UserPoolClientType>, attribute = CANONICAL_ID_ATTRIBUTE): CanonicalIdWriter[] {
  const name = `custom:${attribute}`;
  const out: CanonicalIdWriter[] = [];
  for (const [client, c] of [...clients].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const write = c.WriteAttributes ?? [];
    if (write.length === 0) out.push({ pool, client, clientId: c.ClientId, why: `no WriteAttributes: the client can write every attribute, ${name} included` });
    else if (write.includes(name)) out.push({ pool, client, clientId: c.ClientId, why: `WriteAttributes lists ${name}` });
  }
  return out;
}

export interface DriftDeps {
  primary: { cognito: Cognito; lambda: Lambda; poolId: string; region: string };
  dr: { cognito: Cognito; lambda: Lambda; poolId: string; region: string };
  primaryOnlyTriggers?: readonly string[];
  drOnlyTriggers?: readonly string[];
  /** Custom attribute (without `custom:`) holding the canonical id; default the contract's. */
  canonicalIdAttribute?: string;
}

async function clients(cognito: Cognito, poolId: string): Promise<Map<string, UserPoolClientType>> {
  const out = new Map<string, UserPoolClientType>();
  let NextToken: string | undefined;
  do {
    const page = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 60, NextToken }));
    for (const c of page.UserPoolClients ?? []) {
      const full = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: c.ClientId }));
      if (full.UserPoolClient) out.set(c.ClientName ?? c.ClientId!, full.UserPoolClient);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

async function codeOf(lambda: Lambda, arn: string): Promise<Record<string, unknown>> {
  try {
    const out = await lambda.send(new GetFunctionCommand({ FunctionName: arn }));
    const c = out.Configuration;
    return { CodeSha256: c?.CodeSha256, Runtime: c?.Runtime, Handler: c?.Handler };
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException") return { CodeSha256: "(function not found)" };
    throw err;
  }
}

const regionOfArn = (arn: string) => arn.split(":")[3];

export interface DriftResult {
  differences: Difference[];
  /** App clients of either pool that can write the canonical id attribute (drift exits 1 on any). */
  canonicalIdWriters: CanonicalIdWriter[];
  notes: string[];
  compared: Record<string, number>;
}

export async function comparePools(deps: DriftDeps): Promise<DriftResult> {
  const [p, d] = await Promise.all([
    deps.primary.cognito.send(new DescribeUserPoolCommand({ UserPoolId: deps.primary.poolId })),
    deps.dr.cognito.send(new DescribeUserPoolCommand({ UserPoolId: deps.dr.poolId })),
  ]);
  const pPool = p.UserPool ?? {};
  const dPool = d.UserPool ?? {};
  const differences = diffValues("pool", poolSettings(pPool), poolSettings(dPool));
  const notes: string[] = [];

  const [pClients, dClients] = await Promise.all([clients(deps.primary.cognito, deps.primary.poolId), clients(deps.dr.cognito, deps.dr.poolId)]);
  const writers = [...canonicalIdWriters("primary", pClients, deps.canonicalIdAttribute), ...canonicalIdWriters("dr", dClients, deps.canonicalIdAttribute)];
  for (const name of [...new Set([...pClients.keys(), ...dClients.keys()])].sort()) {
    const a = pClients.get(name);
    const b = dClients.get(name);
    if (!a || !b) differences.push({ area: `client:${name}`, field: "(exists)", primary: Boolean(a), dr: Boolean(b) });
    else differences.push(...diffValues(`client:${name}`, clientSettings(a), clientSettings(b)));
  }

  const pTriggers = triggers(pPool);
  const dTriggers = triggers(dPool);
  const primaryOnly = new Set(deps.primaryOnlyTriggers ?? PRIMARY_ONLY_TRIGGERS);
  const drOnly = new Set(deps.drOnlyTriggers ?? DR_ONLY_TRIGGERS);
  let codeCompared = 0;
  for (const name of [...new Set([...Object.keys(pTriggers), ...Object.keys(dTriggers)])].sort()) {
    const a = pTriggers[name];
    const b = dTriggers[name];
    if (!a || !b) {
      if (a && !b && primaryOnly.has(name)) {
        notes.push(`${name} is configured in the primary pool only, by design (replication is one way)`);
        continue;
      }
      if (!a && b && drOnly.has(name)) {
        notes.push(`${name} is configured in the DR pool only, by design (it refuses DR sign-ups unless failed over)`);
        continue;
      }
      differences.push({ area: `trigger:${name}`, field: "(configured)", primary: a ?? null, dr: b ?? null });
      continue;
    }
    for (const [role, arn, region] of [["primary", a, deps.primary.region], ["dr", b, deps.dr.region]] as const) {
      if (regionOfArn(arn) !== region) differences.push({ area: `trigger:${name}`, field: `${role} function region`, primary: role === "primary" ? regionOfArn(arn) : region, dr: role === "dr" ? regionOfArn(arn) : region });
    }
    const [ca, cb] = await Promise.all([codeOf(deps.primary.lambda, a), codeOf(deps.dr.lambda, b)]);
    codeCompared++;
    differences.push(...diffValues(`trigger:${name}`, { FunctionName: a.split(":").pop(), ...ca }, { FunctionName: b.split(":").pop(), ...cb }));
  }
  return { differences, canonicalIdWriters: writers, notes, compared: { appClients: new Set([...pClients.keys(), ...dClients.keys()]).size, triggers: codeCompared } };
}
