// What a secondary (replica) user pool answers, as the Cognito developer guide lists it: "Supported
// API operations in secondary Regions" (Multi-Region replication for user pools,
// https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-multi-region.html).
// "Operations that aren't listed here are only available in the primary Region"; the SDK's
// OperationNotEnabledException is "thrown when an operation is not available in the current region
// ... operations that are not supported in secondary replica regions". The answer's message is not
// documented (sandbox/README.md says what the sandbox answers).

/** Allowed in a secondary pool whether it is INACTIVE or ACTIVE: administrator reads and per-Region configuration. */
export const SECONDARY_ALWAYS: ReadonlySet<string> = new Set([
  "AdminGetDevice",
  "AdminGetUser",
  "AdminListDevices",
  "AdminListGroupsForUser",
  "AdminListUserAuthEvents",
  "AssociateWebACL",
  "CreateUserPoolDomain",
  "DeleteUserPoolDomain",
  "DeleteUserPoolReplica",
  "DescribeIdentityProvider",
  "DescribeManagedLoginBranding",
  "DescribeManagedLoginBrandingByClient",
  "DescribeResourceServer",
  "DescribeRiskConfiguration",
  "DescribeTerms",
  "DescribeUserPool",
  "DescribeUserPoolClient",
  "DescribeUserPoolDomain",
  "DisassociateWebACL",
  "GetGroup",
  "GetLogDeliveryConfiguration",
  "GetSigningCertificate",
  "GetUICustomization",
  "GetUserPoolMfaConfig",
  "ListGroups",
  "ListIdentityProviders",
  "ListResourceServers",
  "ListTagsForResource",
  "ListTerms",
  "ListUserPoolClients",
  "ListUserPoolClientSecrets",
  "ListUserPoolReplicas",
  "ListUserPools",
  "ListUsers",
  "ListUsersInGroup",
  "SetLogDeliveryConfiguration",
  "SetRiskConfiguration",
  "SetUserPoolMfaConfig",
  "TagResource",
  "UntagResource",
  "UpdateUserPool",
  "UpdateUserPoolDomain",
  "UpdateUserPoolReplica",
]);

/** Allowed in addition once the secondary is ACTIVE: sign-in and sessions, nothing that creates or changes a user. */
export const SECONDARY_WHEN_ACTIVE: ReadonlySet<string> = new Set([
  "AdminInitiateAuth",
  "AdminRespondToAuthChallenge",
  "AdminUpdateAuthEventFeedback",
  "AdminUserGlobalSignOut",
  "GetDevice",
  "GetIdentityProviderByIdentifier",
  "GetTokensFromRefreshToken",
  "GetUser",
  "GetUserAuthFactors",
  "GlobalSignOut",
  "InitiateAuth",
  "ListDevices",
  "ListWebAuthnCredentials",
  "RespondToAuthChallenge",
  "RevokeToken",
  "UpdateAuthEventFeedback",
]);

/** Whether a secondary pool in this status serves the operation. */
export function secondaryAllows(operation: string, status: string): boolean {
  if (SECONDARY_ALWAYS.has(operation)) return status === "ACTIVE" || status === "INACTIVE";
  return status === "ACTIVE" && SECONDARY_WHEN_ACTIVE.has(operation);
}

/**
 * The settings each Region keeps for itself ("Email configuration, ... SMS configuration, Lambda
 * triggers, Tags, Log export configuration, AWS WAF web ACLs"; the guide's per-Region settings):
 * UpdateUserPool in the secondary sets these. Every other setting is the primary's, synchronized
 * to the secondary, and an UpdateUserPool there must repeat it unchanged (UpdateUserPool API
 * reference: "global settings required to match existing values"; KeyConfiguration and
 * IssuerConfiguration "must match the existing configuration and cannot be modified").
 */
export const REGIONAL_POOL_FIELDS: readonly string[] = ["EmailConfiguration", "SmsConfiguration", "LambdaConfig", "UserPoolTags"];

/**
 * Global settings the sandbox compares between the pools (drift) and copies to the secondary: the
 * UpdateUserPool parameters that are not per-Region and not the pool's identity.
 */
export const GLOBAL_POOL_FIELDS: readonly string[] = [
  "Policies",
  "DeletionProtection",
  "AutoVerifiedAttributes",
  "SmsVerificationMessage",
  "EmailVerificationMessage",
  "EmailVerificationSubject",
  "VerificationMessageTemplate",
  "SmsAuthenticationMessage",
  "UserAttributeUpdateSettings",
  "MfaConfiguration",
  "DeviceConfiguration",
  "AdminCreateUserConfig",
  "UserPoolAddOns",
  "AccountRecoverySetting",
  "UserPoolTier",
  "KeyConfiguration",
  "IssuerConfiguration",
  "AcrConfiguration",
];
