// Moves sign-in between the regions, the way the environment is set up for it:
// - Route 53 Application Recovery Controller (when configured): the DR routing control On and the
//   primary's Off, through the cluster's regional endpoints tried in turn (ARC developer guide:
//   "If the endpoint is unavailable, you can try connecting to another").
// - DNS failover through health checks (the DR stack's optional DnsFailover): inverting the primary
//   region's health check makes Route 53 treat it as unhealthy, so the failover records answer with
//   the DR target; un-inverting moves it back. Route 53's control plane is in us-east-1: when that
//   is the failed region this call may fail too, which is why ARC exists.
// - Neither: nothing is switched here; the result says what clients must do.
import { Route53Client, UpdateHealthCheckCommand } from "@aws-sdk/client-route-53";
import { Route53RecoveryClusterClient, UpdateRoutingControlStatesCommand } from "@aws-sdk/client-route53-recovery-cluster";
import type { Environment } from "../../stacks/environments";

export type Region = "primary" | "dr";

export interface SwitchResult {
  method: "arc" | "dns-health-check" | "none";
  /** What was done, for the evidence and the job summary. */
  detail: string;
}

export interface SwitchClients {
  arc(region: string, endpoint: string): Pick<Route53RecoveryClusterClient, "send">;
  route53(): Pick<Route53Client, "send">;
}

export const awsSwitchClients: SwitchClients = {
  arc: (region, endpoint) => new Route53RecoveryClusterClient({ region, endpoint, maxAttempts: 2 }),
  route53: () => new Route53Client({ region: "us-east-1", maxAttempts: 3 }),
};

/**
 * Sends sign-in to `to`. `primaryHealthCheckId` is the DR stack's `primary_health_check_id` output
 * (present when DNS failover is configured).
 */
export async function switchSignIn(env: Environment, to: Region, primaryHealthCheckId: string | undefined, clients: SwitchClients = awsSwitchClients): Promise<SwitchResult> {
  if (env.arc) {
    const entries = [
      { RoutingControlArn: env.arc.primaryControlArn, RoutingControlState: to === "primary" ? ("On" as const) : ("Off" as const) },
      { RoutingControlArn: env.arc.drControlArn, RoutingControlState: to === "dr" ? ("On" as const) : ("Off" as const) },
    ];
    const failures: string[] = [];
    for (const ep of env.arc.clusterEndpoints) {
      try {
        await clients.arc(ep.region, ep.url).send(new UpdateRoutingControlStatesCommand({ UpdateRoutingControlStateEntries: entries }));
        return { method: "arc", detail: `routing controls: ${to === "dr" ? "DR On, primary Off" : "primary On, DR Off"} (through the ${ep.region} cluster endpoint${failures.length ? ` after ${failures.length} unavailable` : ""})` };
      } catch (e) {
        failures.push(`${ep.region}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    throw new Error(`no ARC cluster endpoint took the routing control change:\n  ${failures.join("\n  ")}`);
  }
  if (env.dnsFailover) {
    if (!primaryHealthCheckId) throw new Error("DNS failover is configured but the DR stack has no primary_health_check_id output: apply the DR stack first");
    await clients.route53().send(new UpdateHealthCheckCommand({ HealthCheckId: primaryHealthCheckId, Inverted: to === "dr" }));
    return {
      method: "dns-health-check",
      detail: `primary health check ${primaryHealthCheckId} ${to === "dr" ? "inverted: Route 53 answers with the DR target" : "no longer inverted: Route 53 answers with the primary target while it is healthy"}`,
    };
  }
  return {
    method: "none",
    detail: "neither ARC nor DNS failover is configured for this environment: nothing was switched; clients must use the other pool's ids themselves",
  };
}
