// Cognito's request-rate quotas, as AWS documents them: "Quotas in Amazon Cognito", section
// "Amazon Cognito user pools API operation categories and request rate quotas"
// (https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html#category_operations).
// Each quota is per account and per Region; on top of them AWS allows each user 10 reads and
// 10 writes per second. One table for the whole project: the rate limiter of the operator tools
// and the scheduled reconcile budgets against it, and the sandbox enforces it (it is handed this
// table when it starts), so the two cannot drift apart. Pure data: Lambda code bundles it.

export type QuotaCategory = "UserCreation" | "UserUpdate" | "UserRead" | "UserList" | "UserAccountRecovery";

/** AWS default request rates per account and Region (requests/s). UserUpdate is fixed; the rest adjustable. */
export const COGNITO_QUOTAS: Readonly<Record<QuotaCategory, number>> = { UserCreation: 50, UserUpdate: 25, UserRead: 120, UserList: 30, UserAccountRecovery: 30 };

/** Requests per second per user, for reads and for writes (same page). */
export const PER_USER_QUOTA = 10;

/** The category of each user-pool operation this project (or its sandbox) meters. */
export const CATEGORY_OF: Readonly<Record<string, QuotaCategory>> = {
  AdminCreateUser: "UserCreation",
  SignUp: "UserCreation",
  ConfirmSignUp: "UserCreation",
  AdminConfirmSignUp: "UserCreation",
  AdminUpdateUserAttributes: "UserUpdate",
  AdminDeleteUserAttributes: "UserUpdate",
  AdminAddUserToGroup: "UserUpdate",
  AdminRemoveUserFromGroup: "UserUpdate",
  AdminDisableUser: "UserUpdate",
  AdminEnableUser: "UserUpdate",
  AdminDeleteUser: "UserUpdate",
  AdminGetUser: "UserRead",
  AdminListGroupsForUser: "UserRead",
  ListUsers: "UserList",
  ListUsersInGroup: "UserList",
  AdminSetUserPassword: "UserAccountRecovery",
  AdminResetUserPassword: "UserAccountRecovery",
  ForgotPassword: "UserAccountRecovery",
  ConfirmForgotPassword: "UserAccountRecovery",
};

/** Operations on one user that count against that user's own read quota. */
export const PER_USER_READ: ReadonlySet<string> = new Set(["AdminGetUser", "GetUser", "AdminListGroupsForUser", "AdminListDevices", "ListDevices", "AdminGetDevice", "GetDevice", "AdminListUserAuthEvents"]);

/** Operations on one user that count against that user's own write quota. */
export const PER_USER_WRITE: ReadonlySet<string> = new Set([
  "AdminUpdateUserAttributes",
  "UpdateUserAttributes",
  "AdminDeleteUserAttributes",
  "DeleteUserAttributes",
  "AdminAddUserToGroup",
  "AdminRemoveUserFromGroup",
  "AdminDisableUser",
  "AdminEnableUser",
  "AdminSetUserPassword",
  "AdminResetUserPassword",
  "ChangePassword",
  "AdminSetUserMFAPreference",
  "SetUserMFAPreference",
  "AdminUserGlobalSignOut",
  "AdminDeleteUser",
  "DeleteUser",
]);

/** The quota category of a Cognito operation (`AdminCreateUser` or the SDK's `AdminCreateUserCommand`). */
export function categoryOf(operation: string): QuotaCategory | undefined {
  // Stryker disable next-line Regex: equivalent for Cognito's operation names, none of which contains "Command" but as the SDK's suffix
  return CATEGORY_OF[operation.replace(/Command$/, "")];
}
