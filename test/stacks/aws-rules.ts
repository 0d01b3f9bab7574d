// AWS's own rules, checked on the synthesized Terraform JSON of every stack: things AWS refuses or
// silently breaks that neither `terraform validate` nor moto ever checks. Each rule cites the AWS
// (or provider) page it comes from. A finding is an error, or a warning where the environment
// allows the weaker setting on purpose (dev's default email sender). The rules: rules/iam.ts
// (IAM catalogue, table key) and rules/services.ts (everything else).
import { checkPolicy, iamCatalogRule, tableKeyRule } from "./rules/iam";
import { alarmTopicRule, emailRule, functionSizeRule, healthCheckNameRule, prodProtectionRule, roleBoundaryRule, runtimeRule, scheduleRetryRule, scheduleTrustRule, stateRegionRule } from "./rules/services";
import type { Finding, StackUnderTest } from "./rules/types";

export { checkPolicy, iamCatalogRule, tableKeyRule };
export { alarmTopicRule, emailRule, functionSizeRule, healthCheckNameRule, prodProtectionRule, roleBoundaryRule, RUNTIME_WARNING_DAYS, runtimeRule, scheduleRetryRule, scheduleTrustRule, stateRegionRule } from "./rules/services";
export type { Finding, StackUnderTest } from "./rules/types";

export async function checkStack(s: StackUnderTest, today?: string): Promise<Finding[]> {
  return [
    ...(await iamCatalogRule(s)),
    ...(await tableKeyRule(s)),
    ...runtimeRule(s, today),
    ...functionSizeRule(s),
    ...emailRule(s),
    ...stateRegionRule(s),
    ...(await alarmTopicRule(s)),
    ...scheduleRetryRule(s),
    ...(await scheduleTrustRule(s)),
    ...healthCheckNameRule(s),
    ...roleBoundaryRule(s),
    ...prodProtectionRule(s),
  ];
}
