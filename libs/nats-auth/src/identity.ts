// Who connects to NATS: a Warden service, an agent (by its agents.yaml id), the system account's
// operator user, or the test harness's all-powerful `test-admin`.
import { parse } from "yaml";
import { z } from "zod";

export const WARDEN_SERVICES = ["policy", "audit", "kill-switch", "approval", "rollback-monitor"] as const;
export type WardenService = (typeof WARDEN_SERVICES)[number];

export type NatsIdentity =
  | { kind: "service"; service: WardenService }
  | { kind: "agent"; agentId: string }
  /** Full rights in the Warden account: test set-up and operator tooling only, never a service. */
  | { kind: "admin"; name: string };

const agentIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * `service:policy`, `agent:deploy-bot`, `admin:test-admin` (or just `test-admin`). An agent id must
 * be a single subject token ([A-Za-z0-9_-]), since it is the last token of the agent's subjects.
 */
export function parseIdentity(spec: string): NatsIdentity {
  if (spec === "test-admin") return { kind: "admin", name: "test-admin" };
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? "" : spec.slice(0, colon);
  const name = colon < 0 ? "" : spec.slice(colon + 1);
  switch (kind) {
    case "service":
      if ((WARDEN_SERVICES as readonly string[]).includes(name)) {
        return { kind: "service", service: name as WardenService };
      }
      throw new Error(`identity "${spec}": unknown service "${name}"; one of ${WARDEN_SERVICES.join(", ")}`);
    case "agent":
      if (agentIdPattern.test(name)) return { kind: "agent", agentId: name };
      throw new Error(`identity "${spec}": agent id must be 1-128 chars of [A-Za-z0-9_-]`);
    case "admin":
      if (agentIdPattern.test(name)) return { kind: "admin", name };
      throw new Error(`identity "${spec}": admin name must be 1-128 chars of [A-Za-z0-9_-]`);
    default:
      throw new Error(`identity "${spec}": expected service:<name>, agent:<id>, admin:<name> or test-admin`);
  }
}

/** The canonical spelling, e.g. `agent:deploy-bot` (also the NATS user's name). */
export function identityName(identity: NatsIdentity): string {
  switch (identity.kind) {
    case "service":
      return `service:${identity.service}`;
    case "agent":
      return `agent:${identity.agentId}`;
    case "admin":
      return `admin:${identity.name}`;
  }
}

const agentsFile = z.object({
  agents: z.array(z.object({ id: z.string().regex(agentIdPattern) }).loose()),
});

/** The agent ids of a bundle's agents.yaml (the generator's input, with WARDEN_SERVICES). */
export function agentIdsFromAgentsYaml(text: string): string[] {
  const parsed = agentsFile.safeParse(parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`agents.yaml: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data.agents.map((a) => a.id);
}

/** Every identity of an installation: each service, then each agent of the bundle. */
export function bundleIdentities(agentIds: readonly string[]): NatsIdentity[] {
  return [
    ...WARDEN_SERVICES.map((service): NatsIdentity => ({ kind: "service", service })),
    ...agentIds.map((agentId): NatsIdentity => ({ kind: "agent", agentId })),
  ];
}
