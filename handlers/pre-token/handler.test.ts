import type { PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { CANONICAL_ID_CLAIM } from "../contract";
import { ConfigError, readPreTokenConfig } from "../shared/env";
import * as aws from "../../test/support/aws";
import { DR_POOL_ID, DR_REGION, PRIMARY_POOL_ID, PRIMARY_REGION } from "../../test/support/events";
import { testLogger } from "../../test/support/fakes";
import { logsFrom } from "../../test/support/logs";
import { installPiiGuard } from "../../test/support/pii-guard";
import { canonicalIdOf, makeHandler } from "./handler";

const guard = installPiiGuard();

const PRIMARY_SUB = "6a7b8c9d-0000-4000-8000-000000000001";
const DR_SUB = "0f0e0d0c-0000-4000-8000-00000000dead";

function event(o: { attributes: Record<string, string>; region?: string; poolId?: string; triggerSource?: string; response?: unknown }): PreTokenGenerationV2TriggerEvent {
  return {
    version: "2",
    triggerSource: (o.triggerSource ?? "TokenGeneration_Authentication") as "TokenGeneration_Authentication",
    region: o.region ?? PRIMARY_REGION,
    userPoolId: o.poolId ?? PRIMARY_POOL_ID,
    userName: o.attributes.sub ?? "someone",
    callerContext: { awsSdkVersion: "aws-sdk-unknown-unknown", clientId: "client123" },
    request: {
      userAttributes: o.attributes,
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: undefined },
      scopes: ["aws.cognito.signin.user.admin"],
    },
    response: (o.response ?? { claimsAndScopeOverrideDetails: null }) as PreTokenGenerationV2TriggerEvent["response"],
  } as PreTokenGenerationV2TriggerEvent;
}

/** The DR pool's trigger (trusts the attribute the replicator sets); `primaryHandler` is the primary pool's. */
const handler = makeHandler({ config: readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "canonical_id", TRUST_CANONICAL_ID_ATTRIBUTE: "true" }), logger: testLogger() });
const primaryHandler = makeHandler({ config: readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "canonical_id", TRUST_CANONICAL_ID_ATTRIBUTE: "false" }), logger: testLogger() });

const claimsOf = (e: PreTokenGenerationV2TriggerEvent) => ({
  id: e.response.claimsAndScopeOverrideDetails?.idTokenGeneration?.claimsToAddOrOverride,
  access: e.response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride,
});

describe("pre-token generation", () => {
  it("primary user (no attribute): the canonical id is the user's own sub, in both tokens", async () => {
    const out = await handler(event({ attributes: { sub: PRIMARY_SUB, email: "alice@example.com", "cognito:user_status": "CONFIRMED" } }));
    expect(claimsOf(out)).toEqual({ id: { [CANONICAL_ID_CLAIM]: PRIMARY_SUB }, access: { [CANONICAL_ID_CLAIM]: PRIMARY_SUB } });
  });

  it("DR user: the canonical id is the replicated attribute, not the DR sub", async () => {
    const out = await handler(
      event({ region: DR_REGION, poolId: DR_POOL_ID, attributes: { sub: DR_SUB, "custom:canonical_id": PRIMARY_SUB, email: "alice@example.com" } }),
    );
    expect(claimsOf(out)).toEqual({ id: { canonical_id: PRIMARY_SUB }, access: { canonical_id: PRIMARY_SUB } });
  });

  it("gives a user the same claim in both pools", async () => {
    const p = await primaryHandler(event({ attributes: { sub: PRIMARY_SUB } }));
    const d = await handler(event({ region: DR_REGION, poolId: DR_POOL_ID, attributes: { sub: DR_SUB, "custom:canonical_id": PRIMARY_SUB } }));
    expect(claimsOf(d)).toEqual(claimsOf(p));
  });

  it("two-way (primary trusts the attribute): the primary copy of a user born in DR gets the DR sub, the same claim as in DR", async () => {
    const twoWayPrimary = makeHandler({ config: readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "canonical_id", TRUST_CANONICAL_ID_ATTRIBUTE: "true" }), logger: testLogger() });
    const COPY_SUB = "c0c0c0c0-0000-4000-8000-0000000000c0";
    const p = await twoWayPrimary(event({ attributes: { sub: COPY_SUB, "custom:canonical_id": DR_SUB, email: "bob@example.com" } }));
    const d = await handler(event({ region: DR_REGION, poolId: DR_POOL_ID, attributes: { sub: DR_SUB, email: "bob@example.com" } }));
    expect(claimsOf(p)).toEqual({ id: { canonical_id: DR_SUB }, access: { canonical_id: DR_SUB } });
    expect(claimsOf(d)).toEqual(claimsOf(p));
    // The one-way primary would have given that copy its own sub: a different id per pool.
    const oneWay = await primaryHandler(event({ attributes: { sub: COPY_SUB, "custom:canonical_id": DR_SUB } }));
    expect(claimsOf(oneWay).access).toEqual({ canonical_id: COPY_SUB });
  });

  it.each(["TokenGeneration_RefreshTokens", "TokenGeneration_HostedAuth", "TokenGeneration_NewPasswordChallenge", "TokenGeneration_AuthenticateDevice"])(
    "adds the claim on %s too",
    async (triggerSource) => {
      const out = await handler(event({ triggerSource, attributes: { sub: PRIMARY_SUB } }));
      expect(claimsOf(out).access).toEqual({ canonical_id: PRIMARY_SUB });
    },
  );

  it("keeps overrides already in the response (scopes, other claims)", async () => {
    const out = await handler(
      event({
        attributes: { sub: PRIMARY_SUB },
        response: {
          claimsAndScopeOverrideDetails: {
            accessTokenGeneration: { claimsToAddOrOverride: { tenant: "t1" }, scopesToAdd: ["api/read"] },
          },
        },
      }),
    );
    expect(out.response.claimsAndScopeOverrideDetails?.accessTokenGeneration).toEqual({
      claimsToAddOrOverride: { tenant: "t1", canonical_id: PRIMARY_SUB },
      scopesToAdd: ["api/read"],
    });
  });

  it("ignores a blank attribute and uses sub", () => {
    expect(canonicalIdOf({ sub: PRIMARY_SUB, "custom:canonical_id": "  " }, { canonicalIdAttribute: "canonical_id", trustAttribute: true })).toEqual({ id: PRIMARY_SUB, source: "sub" });
  });

  it("primary pool: a custom:canonical_id naming another user is ignored, the tokens carry the user's own sub, and a WARN says so without values", async () => {
    const logs = logsFrom(guard);
    const out = await primaryHandler(event({ attributes: { sub: PRIMARY_SUB, "custom:canonical_id": DR_SUB, email: "thief@example.com" } }));
    expect(claimsOf(out)).toEqual({ id: { canonical_id: PRIMARY_SUB }, access: { canonical_id: PRIMARY_SUB } });
    const lines = logs.read();
    expect(lines).toContainEqual(expect.objectContaining({ level: "WARN", message: "custom canonical id attribute ignored in this pool: the tokens carry the user's own sub", userPoolId: PRIMARY_POOL_ID }));
    expect(JSON.stringify(lines.filter((l) => l.level === "WARN"))).not.toContain(DR_SUB);
    // The same attribute equal to the user's own sub is no news.
    const quiet = logsFrom(guard);
    await primaryHandler(event({ attributes: { sub: PRIMARY_SUB, "custom:canonical_id": PRIMARY_SUB } }));
    expect(quiet.read().filter((l) => l.level === "WARN")).toEqual([]);
  });

  it("honours the configured attribute name", async () => {
    const h = makeHandler({ config: readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "primary_sub", TRUST_CANONICAL_ID_ATTRIBUTE: "true" }), logger: testLogger() });
    const out = await h(event({ attributes: { sub: DR_SUB, "custom:primary_sub": PRIMARY_SUB, "custom:canonical_id": "other" } }));
    expect(claimsOf(out).id).toEqual({ canonical_id: PRIMARY_SUB });
  });

  it("never throws: without sub or attribute the tokens are left alone", async () => {
    const e = event({ attributes: {} });
    const out = await handler(e);
    expect(out.response).toEqual({ claimsAndScopeOverrideDetails: null });
    const broken = { ...event({ attributes: { sub: PRIMARY_SUB } }), request: undefined } as unknown as PreTokenGenerationV2TriggerEvent;
    await expect(handler(broken)).resolves.toBe(broken);
  });
});

describe("pre-token config", () => {
  it("requires the attribute name and validates it, naming the variable", () => {
    expect(() => readPreTokenConfig({ TRUST_CANONICAL_ID_ATTRIBUTE: "true" })).toThrow("Environment variable CANONICAL_ID_ATTRIBUTE is required but not set");
    expect(() => readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "custom:canonical_id" })).toThrow(ConfigError);
    expect(() => readPreTokenConfig({ CANONICAL_ID_ATTRIBUTE: "custom:canonical_id" })).toThrow(/CANONICAL_ID_ATTRIBUTE/);
  });

  it("answers AWS's documented V2 event (its empty-array response included) with the user's own sub in both tokens", async () => {
    const event = aws.preTokenV2Event();
    const sub = event.request.userAttributes.sub;
    const out = await handler(event);
    expect(claimsOf(out)).toEqual({ id: { [CANONICAL_ID_CLAIM]: sub }, access: { [CANONICAL_ID_CLAIM]: sub } });
    // Nothing else of the documented response is invented: no group or scope override.
    expect(Object.keys(out.response.claimsAndScopeOverrideDetails ?? {}).sort()).toEqual(["accessTokenGeneration", "idTokenGeneration"]);
  });
});

describe("pre-token generation: odd requests and its log lines", () => {
  it("trims the sub and the stored id", async () => {
    const dr = { canonicalIdAttribute: "canonical_id", trustAttribute: true };
    expect(canonicalIdOf({ sub: `  ${PRIMARY_SUB} ` }, dr)).toEqual({ id: PRIMARY_SUB, source: "sub" });
    expect(canonicalIdOf({ sub: DR_SUB, "custom:canonical_id": ` ${PRIMARY_SUB}\n` }, dr)).toEqual({ id: PRIMARY_SUB, source: "attribute" });
    expect(canonicalIdOf({ sub: "   " }, dr)).toBeUndefined();
    expect(canonicalIdOf({ sub: ` ${PRIMARY_SUB}`, "custom:canonical_id": `${PRIMARY_SUB} ` }, { ...dr, trustAttribute: false })).toEqual({ id: PRIMARY_SUB, source: "sub" });
  });

  it("adds the claim when the event carries no response object", async () => {
    const e = event({ attributes: { sub: PRIMARY_SUB } });
    delete (e as { response?: unknown }).response;
    expect(claimsOf(await handler(e))).toEqual({ id: { [CANONICAL_ID_CLAIM]: PRIMARY_SUB }, access: { [CANONICAL_ID_CLAIM]: PRIMARY_SUB } });
  });

  it("no sub at all (or no request): ERROR with the trigger source and pool, tokens unchanged", async () => {
    for (const e of [event({ attributes: {} }), { ...event({ attributes: {} }), request: undefined } as unknown as PreTokenGenerationV2TriggerEvent]) {
      const logs = logsFrom(guard);
      const out = await handler(e);
      expect(claimsOf(out)).toEqual({ id: undefined, access: undefined });
      expect(logs.read()).toEqual([
        expect.objectContaining({ level: "ERROR", message: "no canonical id and no sub in the token request; tokens left without the claim", triggerSource: "TokenGeneration_Authentication", userPoolId: PRIMARY_POOL_ID }),
      ]);
    }
  });

  it("added: DEBUG with where the id came from", async () => {
    const logs = logsFrom(guard);
    await handler(event({ attributes: { sub: PRIMARY_SUB } }));
    expect(logs.read()).toEqual([expect.objectContaining({ level: "DEBUG", message: "canonical id added to tokens", triggerSource: "TokenGeneration_Authentication", source: "sub", canonicalId: PRIMARY_SUB })]);
  });

  it("a request it cannot read never blocks sign-in: the event comes back and an ERROR says why", async () => {
    const e = event({ attributes: { sub: PRIMARY_SUB } });
    Object.defineProperty(e.request, "userAttributes", { get: () => { throw new Error("unreadable"); } });
    const logs = logsFrom(guard);
    await expect(handler(e)).resolves.toBe(e);
    expect(logs.read()).toEqual([expect.objectContaining({ level: "ERROR", message: "unexpected error in pre-token generation", error: expect.objectContaining({ message: "unreadable" }) })]);
  });
});
