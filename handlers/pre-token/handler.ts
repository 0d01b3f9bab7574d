// PreTokenGeneration trigger (V2 event), deployed from one bundle to both pools:
// puts the user's canonical id into the ID and the access token, so services see
// one user id whichever region signed the user in.
//
// Where the canonical id comes from:
// - DR users carry it as `custom:<canonical attribute>`, set by the replicator to
//   the primary user's `sub`.
// - Primary users need no stored copy: their canonical id *is* their own `sub`.
//   So the sign-up path makes no extra write (no AdminUpdateUserAttributes after
//   confirmation); this trigger falls back to `sub` when the attribute is absent.
//   A user who signs up directly in the DR pool during a failover gets its own DR
//   `sub` the same way, which is right: that user was born there.
// - When the attribute is present in the primary pool (e.g. a user copied back after
//   a failback), it wins over `sub`, as it does in DR.
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

/** The canonical id of the user in `attributes`, and where it came from. */
export function canonicalIdOf(
  attributes: Readonly<Record<string, string | undefined>>,
  canonicalIdAttribute: string,
): { id: string; source: "attribute" | "sub" } | undefined {
  const stored = attributes[`custom:${canonicalIdAttribute}`]?.trim();
  if (stored) return { id: stored, source: "attribute" };
  const sub = attributes.sub?.trim();
  if (sub) return { id: sub, source: "sub" };
  return undefined;
}

export function makeHandler(deps: PreTokenDeps) {
  const { logger, config } = deps;

  return async function handler(event: PreTokenGenerationV2TriggerEvent, context?: Context): Promise<PreTokenGenerationV2TriggerEvent> {
    if (context) logger.addContext(context);
    try {
      const found = canonicalIdOf(event.request?.userAttributes ?? {}, config.canonicalIdAttribute);
      if (!found) {
        logger.error("no canonical id and no sub in the token request; tokens left without the claim", {
          triggerSource: event.triggerSource,
          userPoolId: event.userPoolId,
        });
        return event;
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
