import { describe, expect, it } from "vitest";
import { COGNITO_QUOTAS } from "./cognito-quotas";
import { BATCH_SECONDS, IN_FLIGHT_SECONDS, replicatorPacing } from "./pacing";

describe("replicatorPacing", () => {
  it("takes the share of every default quota, and sizes users in flight and batches from the UserCreation rate", () => {
    const p = replicatorPacing(0.8);
    expect(p.rates).toEqual({ UserCreation: 40, UserUpdate: 20, UserRead: 96, UserList: 24, UserAccountRecovery: 24 });
    expect(p.inFlight).toBe(80); // 40/s × 2 s
    expect(p.batchSize).toBe(400); // 40/s × 10 s
  });

  it("follows a raised quota: five times the quota, five times the users in flight and the batch", () => {
    const p = replicatorPacing(1, { UserCreation: 250 });
    expect(p.rates.UserCreation).toBe(250);
    expect(p.rates.UserUpdate).toBe(COGNITO_QUOTAS.UserUpdate);
    expect(p.inFlight).toBe(Math.ceil(250 * IN_FLIGHT_SECONDS));
    expect(p.batchSize).toBe(250 * BATCH_SECONDS);
  });

  it("keeps users in flight and batches within Lambda's and its own bounds", () => {
    expect(replicatorPacing(0.01)).toMatchObject({ inFlight: 10, batchSize: 100 });
    expect(replicatorPacing(1, { UserCreation: 5_000 })).toMatchObject({ inFlight: 500, batchSize: 10_000 });
  });

  it.each([0, -0.1, 1.01, Number.NaN])("refuses a share of %s", (share) => {
    expect(() => replicatorPacing(share)).toThrow(`the replicator's quota share must be in (0, 1] (got ${share})`);
  });
});
