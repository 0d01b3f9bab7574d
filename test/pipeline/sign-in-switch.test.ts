// Moving sign-in between regions: ARC routing controls through the cluster endpoints in turn, the
// primary's DNS failover health check inverted, or a plain statement that nothing is set up.
import { UpdateHealthCheckCommand } from "@aws-sdk/client-route-53";
import { UpdateRoutingControlStatesCommand } from "@aws-sdk/client-route53-recovery-cluster";
import { describe, expect, it } from "vitest";
import { environment } from "../../stacks/environments";
import { switchSignIn, type SwitchClients } from "../../scripts/operator/sign-in-switch";

interface Sent {
  via: string;
  command: unknown;
}

function fakeClients(unavailable: string[] = []): { clients: SwitchClients; sent: Sent[] } {
  const sent: Sent[] = [];
  const clients: SwitchClients = {
    arc: (region) => ({
      send: async (command: unknown) => {
        if (unavailable.includes(region)) throw Object.assign(new Error("connect ETIMEDOUT"), { name: "TimeoutError" });
        sent.push({ via: `arc:${region}`, command });
        return {};
      },
    }) as never,
    route53: () => ({
      send: async (command: unknown) => {
        sent.push({ via: "route53", command });
        return {};
      },
    }) as never,
  };
  return { clients, sent };
}

const arcEnv = environment("prod", {
  PROD_STATE_BUCKET: "b",
  PROD_ARC_CLUSTER_ENDPOINTS: "us-east-1=https://host-aaa.us-east-1.example.com/v1,us-west-2=https://host-bbb.us-west-2.example.com/v1",
  PROD_ARC_PRIMARY_CONTROL_ARN: "arn:aws:route53-recovery-control::111122223333:controlpanel/p/routingcontrol/primary",
  PROD_ARC_DR_CONTROL_ARN: "arn:aws:route53-recovery-control::111122223333:controlpanel/p/routingcontrol/dr",
});

describe("sign-in switch", () => {
  it("ARC: DR On and primary Off in one call, trying the next endpoint when one is unavailable", async () => {
    const { clients, sent } = fakeClients(["us-east-1"]);
    const r = await switchSignIn(arcEnv, "dr", undefined, clients);
    expect(r.method).toBe("arc");
    expect(r.detail).toMatch(/DR On, primary Off .*us-west-2.*after 1 unavailable/);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.via).toBe("arc:us-west-2");
    const cmd = sent[0]!.command as UpdateRoutingControlStatesCommand;
    expect(cmd).toBeInstanceOf(UpdateRoutingControlStatesCommand);
    expect(cmd.input.UpdateRoutingControlStateEntries).toEqual([
      { RoutingControlArn: arcEnv.arc!.primaryControlArn, RoutingControlState: "Off" },
      { RoutingControlArn: arcEnv.arc!.drControlArn, RoutingControlState: "On" },
    ]);
  });

  it("ARC: fails with every endpoint's reason when none answers", async () => {
    const { clients } = fakeClients(["us-east-1", "us-west-2"]);
    await expect(switchSignIn(arcEnv, "primary", undefined, clients)).rejects.toThrow(/no ARC cluster endpoint took .*\n\s+us-east-1: TimeoutError.*\n\s+us-west-2: TimeoutError/);
  });

  const dnsEnv = environment("staging", { STAGING_DNS_ZONE_ID: "Z1", STAGING_AUTH_HOSTNAME: "auth.example.com", STAGING_PRIMARY_AUTH_TARGET: "p.example.com", STAGING_DR_AUTH_TARGET: "d.example.com" });
  it("DNS failover: inverts the primary's health check to fail over, and un-inverts it to fail back", async () => {
    const { clients, sent } = fakeClients();
    expect((await switchSignIn(dnsEnv, "dr", "hc-1", clients)).method).toBe("dns-health-check");
    await switchSignIn(dnsEnv, "primary", "hc-1", clients);
    expect(sent.map((s) => (s.command as UpdateHealthCheckCommand).input)).toEqual([
      { HealthCheckId: "hc-1", Inverted: true },
      { HealthCheckId: "hc-1", Inverted: false },
    ]);
    await expect(switchSignIn(dnsEnv, "dr", undefined, clients)).rejects.toThrow(/no primary_health_check_id output/);
  });

  it("neither: switches nothing and says what clients must do", async () => {
    const { clients, sent } = fakeClients();
    const r = await switchSignIn(environment("dev", { DEV_STATE_BUCKET: "b" }), "dr", undefined, clients);
    expect(r).toEqual({ method: "none", detail: expect.stringMatching(/nothing was switched/) });
    expect(sent).toEqual([]);
  });
});
