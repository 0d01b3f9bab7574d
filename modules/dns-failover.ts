// DNS failover for the application's auth-facing hostname (e.g. auth.example.com):
// a Route 53 health check against each region's health endpoint and a
// PRIMARY/SECONDARY failover pair of records with a 60 s TTL, so clients move to
// the DR region's endpoint when the primary's health check fails and back when it
// recovers. Optional per environment (`dnsFailover` in stacks/environments.ts).
//
// Limits (README "DNS failover"): clients and resolvers may cache answers past
// the TTL; the switch takes failureThreshold x requestInterval plus the TTL
// (default 3 x 30 s + 60 s, about 2.5 min). It moves only hostnames you own
// (your API, your sign-in front end). The Cognito endpoints themselves
// (cognito-idp.<region>.amazonaws.com, the pools' own prefix domains) are
// per-region and cannot be failed over by DNS: apps must use the DR pool id and
// client id after failover. A hosted-UI custom domain needs an ACM certificate in
// us-east-1, whatever the pool's region (Cognito docs), and is bound to one pool;
// each region's pool needs its own custom domain.
import { createHash } from "node:crypto";
import { Route53HealthCheck } from "@cdktf/provider-aws/lib/route53-health-check";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Construct } from "constructs";

export interface RegionalEndpoint {
  /** Region label, used in set identifiers and tags. */
  region: string;
  /** Hostname the record points at (CNAME), e.g. the regional API's custom domain. */
  target: string;
  /** Host the health check calls; defaults to `target`. */
  healthCheckFqdn?: string;
}

export interface DnsFailoverSettings {
  hostedZoneId: string;
  /** The auth-facing hostname clients use, e.g. `auth.example.com`. */
  recordName: string;
  primary: RegionalEndpoint;
  secondary: RegionalEndpoint;
  /** HTTPS path of the regional health endpoint (default `/health`). */
  healthCheckPath?: string;
  /** Seconds (default 60). */
  ttlSeconds?: number;
  /** Consecutive failures before unhealthy (default 3). */
  failureThreshold?: number;
  /** 10 or 30 seconds (default 30). */
  requestIntervalSeconds?: 10 | 30;
}

export const DNS_FAILOVER_TTL_SECONDS = 60;

/**
 * The provider appends a 37-character unique id to `reference_name` to build the health check's
 * CallerReference (64 at most), so it refuses names over 27 characters (hashicorp/aws,
 * internal/service/route53/health_check.go). Longer names keep their start and a short hash of
 * the whole, so two checks never share a name.
 */
export const HEALTH_CHECK_REFERENCE_MAX = 27;

export function healthCheckReference(name: string, role: "primary" | "secondary"): string {
  const full = `${name}-${role}`;
  if (full.length <= HEALTH_CHECK_REFERENCE_MAX) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
  const tail = `-${role === "primary" ? "p" : "s"}-${hash}`;
  return `${name.slice(0, HEALTH_CHECK_REFERENCE_MAX - tail.length)}${tail}`;
}

export class DnsFailover extends Construct {
  readonly healthChecks: { primary: Route53HealthCheck; secondary: Route53HealthCheck };
  readonly records: { primary: Route53Record; secondary: Route53Record };

  constructor(scope: Construct, id: string, props: { name: string; settings: DnsFailoverSettings }) {
    super(scope, id);
    const s = props.settings;
    const check = (role: "primary" | "secondary", ep: RegionalEndpoint) =>
      new Route53HealthCheck(this, `${role}-health`, {
        type: "HTTPS",
        fqdn: ep.healthCheckFqdn ?? ep.target,
        port: 443,
        resourcePath: s.healthCheckPath ?? "/health",
        failureThreshold: s.failureThreshold ?? 3,
        requestInterval: s.requestIntervalSeconds ?? 30,
        enableSni: true,
        // Named through the provider's default tags only (stacks.test: no resource overrides them).
        referenceName: healthCheckReference(props.name, role),
      });
    const record = (role: "primary" | "secondary", ep: RegionalEndpoint, hc: Route53HealthCheck) =>
      new Route53Record(this, `${role}-record`, {
        zoneId: s.hostedZoneId,
        name: s.recordName,
        type: "CNAME",
        ttl: s.ttlSeconds ?? DNS_FAILOVER_TTL_SECONDS,
        records: [ep.target],
        setIdentifier: `${props.name}-${role}-${ep.region}`,
        failoverRoutingPolicy: { type: role === "primary" ? "PRIMARY" : "SECONDARY" },
        healthCheckId: hc.id,
      });
    this.healthChecks = { primary: check("primary", s.primary), secondary: check("secondary", s.secondary) };
    this.records = {
      primary: record("primary", s.primary, this.healthChecks.primary),
      secondary: record("secondary", s.secondary, this.healthChecks.secondary),
    };
  }
}
