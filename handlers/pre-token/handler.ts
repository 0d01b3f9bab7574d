// PreTokenGeneration trigger (V2 event), deployed from one bundle to both pools:
// puts the user's canonical id into the ID and the access token, so services see
// one user id whichever region signed the user in.
//
// Where the canonical id comes from (D3: the attribute where trusted, else the user's own `sub`):
// - DR users carry it as `custom:<canonical attribute>`, set by the replicator to
//   the primary user's `sub`. The DR pool's trigger trusts it (TRUST_CANONICAL_ID_ATTRIBUTE).
//   A user who signs up directly in the DR pool during a failover has no attribute and
//   gets its own DR `sub`, which is right: that user was born there.
// - Primary users need no stored copy: their canonical id *is* their own `sub`, so the
//   sign-up path makes no extra write.
// - One-way mode: nothing of this project sets the attribute in the primary pool, so the
//   primary pool's trigger ignores it: a value there was written by an administrator or
//   by an app client allowed to write it, and trusting it would hand whoever wrote it
//   another user's id in every token (issue 20).
// - Two-way mode: the primary replicator creates copies of DR-born users carrying their
//   DR `sub` in the attribute, so the stack sets TRUST_CANONICAL_ID_ATTRIBUTE=true in the
//   primary too, and such a user's tokens carry the same claim in both pools. The trust
//   is safe because no app client can write the attribute (modules/user-pool.ts
//   WRITE_ATTRIBUTES): only IAM principals, which reconcile's conflict report watches.
//
// Cognito fails the sign-in when this trigger throws, so it never throws: without
// any id it logs an error and leaves the tokens alone (the verifier then rejects
// them for lacking the claim: fail closed, and visible in the errors log).
// It calls no AWS API.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import { CANONICAL_ID_CLAIM } from "../contract";
import type { PreTokenConfig } from "../shared/env";

export interface PreTokenDeps {
  config: PreTokenConfig;
  logger: Logger;
}

/**
 * The canonical id of the user in `attributes`, and where it came from; `ignored` when the pool
 * does not trust the attribute and it named another id.
 */
export function canonicalIdOf(
  attributes: Readonly<Record<string, string | undefined>>,
  config: Pick<PreTokenConfig, "canonicalIdAttribute" | "trustAttribute">,
): { id: string; source: "attribute" | "sub"; ignored?: true } | undefined {
  const stored = attributes[`custom:${config.canonicalIdAttribute}`]?.trim();
  if (stored && config.trustAttribute) return { id: stored, source: "attribute" };
  const sub = attributes.sub?.trim();
  if (sub) return stored && stored !== sub ? { id: sub, source: "sub", ignored: true } : { id: sub, source: "sub" };
  return undefined;
}

export function makeHandler(deps: PreTokenDeps) {
  const { logger, config } = deps;

  return async function handler(event: PreTokenGenerationV2TriggerEvent, context?: Context): Promise<PreTokenGenerationV2TriggerEvent> {
    if (context) logger.addContext(context);
    try {
      const found = canonicalIdOf(event.request?.userAttributes ?? {}, config);
      if (!found) {
        logger.error("no canonical id and no sub in the token request; tokens left without the claim", {
          triggerSource: event.triggerSource,
          userPoolId: event.userPoolId,
        });
        return event;
      }
      if (found.ignored) {
        // No values: which user and which id are for reconcile's conflict report to show.
        logger.warn("custom canonical id attribute ignored in this pool: the tokens carry the user's own sub", {
          triggerSource: event.triggerSource,
          userPoolId: event.userPoolId,
        });
      }
      const claim = { [CANONICAL_ID_CLAIM]: found.id };
      const previous = event.response?.claimsAndScopeOverrideDetails ?? {};
      event.response = {
        ...event.response,
        claimsAndScopeOverrideDetails: {
          ...previous,
          idTokenGeneration: {
            ...previous.idTokenGeneration,
            claimsToAddOrOverride: { ...previous.idTokenGeneration?.claimsToAddOrOverride, ...claim },
          },
          accessTokenGeneration: {
            ...previous.accessTokenGeneration,
            claimsToAddOrOverride: { ...previous.accessTokenGeneration?.claimsToAddOrOverride, ...claim },
          },
        },
      };
      logger.debug("canonical id added to tokens", { triggerSource: event.triggerSource, source: found.source, canonicalId: found.id });
      return event;
    } catch (err) {
      // Belt and braces: a bug here must not block sign-in.
      logger.error("unexpected error in pre-token generation", { error: err as Error });
      return event;
    }
  };
}
