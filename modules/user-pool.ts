// A Cognito user pool and its app client, built identically in both regions.
// Only the name and the triggers differ by role; everything else comes from
// this one definition, so the DR pool accepts exactly what the primary does.
import { CognitoUserPool, type CognitoUserPoolLambdaConfig } from "@cdktf/provider-aws/lib/cognito-user-pool";
import { CognitoUserPoolClient } from "@cdktf/provider-aws/lib/cognito-user-pool-client";
import { Construct } from "constructs";
import { CANONICAL_ID_ATTRIBUTE } from "../handlers/contract";

/**
 * How the pool sends email. Cognito's default sender allows 50 emails a day per account (Cognito
 * developer guide, "Quotas"); with SES (`DEVELOPER`) the limit is the account's SES quota, which
 * starts in the SES sandbox (200 a day, verified recipients only) until production access is granted.
 */
export type PoolEmail =
  | { kind: "cognito-default" }
  | {
      kind: "ses";
      /** From address, e.g. `Example <no-reply@example.com>`. */
      from: string;
      /** ARN of the verified SES identity, in the pool's own region. */
      sourceArn: string;
      configurationSet?: string;
    };

/** One app client definition, deployed identically to both pools. */
export interface AppClientSettings {
  callbackUrls: string[];
  logoutUrls: string[];
  accessTokenMinutes: number;
  idTokenMinutes: number;
  refreshTokenDays: number;
}

export interface ReplicatedUserPoolProps {
  name: string;
  clientName: string;
  appClient: AppClientSettings;
  /** Cognito deletion protection and terraform's prevent_destroy (prod). */
  deletionProtection: boolean;
  email: PoolEmail;
  /**
   * Trigger function ARNs; each region passes its own: PostConfirmation (sign-up capture: the
   * primary pool, and in two-way mode the DR pool too), PreSignUp (who may sign up: the DR pool).
   */
  triggers?: Pick<CognitoUserPoolLambdaConfig, "postConfirmation" | "preSignUp">;
  /** ARN of the PreTokenGeneration trigger (V2 event: ID and access token claims). */
  preTokenGeneration?: string;
}

// Readable by the app; the canonical id is readable but never writable by users. The write list
// must stay non-empty: a client without one (terraform drops an empty list) can write every
// attribute, the canonical id included.
const READ_ATTRIBUTES = ["email", "email_verified", "name", "given_name", "family_name", "locale", "phone_number", "phone_number_verified", `custom:${CANONICAL_ID_ATTRIBUTE}`];
const WRITE_ATTRIBUTES = ["email", "name", "given_name", "family_name", "locale", "phone_number"];

function lambdaConfig(props: ReplicatedUserPoolProps): CognitoUserPoolLambdaConfig | undefined {
  if (!props.preTokenGeneration) return props.triggers;
  return {
    ...props.triggers,
    // V2_0 customizes access tokens as well as ID tokens (ESSENTIALS tier or higher).
    preTokenGenerationConfig: { lambdaArn: props.preTokenGeneration, lambdaVersion: "V2_0" },
  };
}

export class ReplicatedUserPool extends Construct {
  readonly pool: CognitoUserPool;
  readonly client: CognitoUserPoolClient;

  constructor(scope: Construct, id: string, props: ReplicatedUserPoolProps) {
    super(scope, id);
    this.pool = new CognitoUserPool(this, "pool", {
      name: props.name,
      // ESSENTIALS is the lowest tier with choice-based (passwordless) sign-in.
      userPoolTier: "ESSENTIALS",
      usernameAttributes: ["email"],
      autoVerifiedAttributes: ["email"],
      usernameConfiguration: { caseSensitive: false },
      // EMAIL_OTP lets replicated users sign in to the DR pool without the
      // password that cannot be copied; AWS requires PASSWORD alongside it.
      signInPolicy: { allowedFirstAuthFactors: ["PASSWORD", "EMAIL_OTP"] },
      mfaConfiguration: "OFF",
      deletionProtection: props.deletionProtection ? "ACTIVE" : "INACTIVE",
      passwordPolicy: {
        minimumLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireNumbers: true,
        requireSymbols: true,
        temporaryPasswordValidityDays: 3,
      },
      accountRecoverySetting: { recoveryMechanism: [{ name: "verified_email", priority: 1 }] },
      adminCreateUserConfig: { allowAdminCreateUserOnly: false },
      // A user's email changes only once the new address is verified: until then the pool keeps (and
      // signs in with) the old one. Otherwise anyone could move their account onto a victim's address
      // and claim it, in either pool (issue 22). The replicator's admin call sets email_verified with
      // the email, which applies at once.
      userAttributeUpdateSettings: { attributesRequireVerificationBeforeUpdate: ["email"] },
      emailConfiguration:
        props.email.kind === "ses"
          ? { emailSendingAccount: "DEVELOPER", sourceArn: props.email.sourceArn, fromEmailAddress: props.email.from, configurationSet: props.email.configurationSet }
          : { emailSendingAccount: "COGNITO_DEFAULT" },
      schema: [
        { name: "email", attributeDataType: "String", required: true, mutable: true, stringAttributeConstraints: { minLength: "3", maxLength: "254" } },
        // Mutable so the replicator can set and correct it on DR users (an Admin* call, which no
        // client list limits); the app client cannot write it (WRITE_ATTRIBUTES leaves it out, and
        // `npm run drift` flags any client of either pool that can).
        { name: CANONICAL_ID_ATTRIBUTE, attributeDataType: "String", required: false, mutable: true, developerOnlyAttribute: false, stringAttributeConstraints: { minLength: "1", maxLength: "64" } },
      ],
      lambdaConfig: lambdaConfig(props),
      // Deletion protection stops Cognito deleting the pool; prevent_destroy stops terraform trying.
      lifecycle: props.deletionProtection ? { preventDestroy: true } : undefined,
    });
    this.client = new CognitoUserPoolClient(this, "client", {
      name: props.clientName,
      userPoolId: this.pool.id,
      generateSecret: false,
      explicitAuthFlows: ["ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      preventUserExistenceErrors: "ENABLED",
      enableTokenRevocation: true,
      allowedOauthFlowsUserPoolClient: true,
      allowedOauthFlows: ["code"],
      allowedOauthScopes: ["openid", "email", "profile"],
      supportedIdentityProviders: ["COGNITO"],
      callbackUrls: props.appClient.callbackUrls,
      logoutUrls: props.appClient.logoutUrls,
      accessTokenValidity: props.appClient.accessTokenMinutes,
      idTokenValidity: props.appClient.idTokenMinutes,
      refreshTokenValidity: props.appClient.refreshTokenDays,
      tokenValidityUnits: [{ accessToken: "minutes", idToken: "minutes", refreshToken: "days" }],
      readAttributes: READ_ATTRIBUTES,
      writeAttributes: WRITE_ATTRIBUTES,
    });
  }
}
