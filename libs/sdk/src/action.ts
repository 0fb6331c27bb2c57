// What an agent asks to do, from the friendly form an author writes to the wire form the policy
// reads (proto3 JSON of warden.common.v1.ActionRequest), and whether an emergency stop covers it.
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { events, InvalidMessageError, parseEventData } from "@warden/messaging";
import type { ActionRequestData, StopScopeView, StopView } from "@warden/messaging";
import { InvalidActionError, StopStateUnknownError, StoppedError } from "./errors.ts";

type Short<T extends string, P extends string> = T extends `${P}${infer R}` ? Lowercase<R> : never;
type Environment = NonNullable<ActionRequestData["environment"]>;
type ChangeType = NonNullable<ActionRequestData["changeType"]>;
type VersionChange = NonNullable<ActionRequestData["versionChange"]>;

/**
 * An action request as an agent writes it: the fields of warden.common.v1.ActionRequest in proto3
 * JSON, where the enums may also be written short (`environment: "production"`, `changeType:
 * "code"`, `versionChange: "minor"`). `agentId` is the connection's; `actionId` defaults to a UUID.
 */
export type Action = Omit<
  ActionRequestData,
  "actionId" | "agentId" | "environment" | "changeType" | "versionChange"
> & {
  actionId?: string | undefined;
  environment?: Environment | Short<Environment, "ENVIRONMENT_"> | undefined;
  changeType?: ChangeType | Short<ChangeType, "CHANGE_TYPE_"> | undefined;
  versionChange?: VersionChange | Short<VersionChange, "VERSION_CHANGE_"> | undefined;
};

const long = (prefix: string, value: string | undefined): string | undefined =>
  value === undefined || value.startsWith(prefix) ? value : `${prefix}${value.toUpperCase()}`;

/**
 * The wire request, checked exactly as the policy service checks it (proto3 JSON mapping, then
 * Warden's limits); a bad field throws InvalidActionError naming it.
 */
export function toWireRequest(agentId: string, actionId: string, action: Action): ActionRequestData {
  const candidate: Record<string, unknown> = { ...action, actionId, agentId };
  for (const [field, prefix] of [
    ["environment", "ENVIRONMENT_"],
    ["changeType", "CHANGE_TYPE_"],
    ["versionChange", "VERSION_CHANGE_"],
  ] as const) {
    const value = long(prefix, action[field]);
    if (value === undefined) delete candidate[field];
    else candidate[field] = value;
  }
  for (const key of Object.keys(candidate)) if (candidate[key] === undefined) delete candidate[key];
  try {
    return parseEventData(events.actionRequested, candidate, "action");
  } catch (err) {
    if (err instanceof InvalidMessageError) throw new InvalidActionError(err.issues, actionId);
    throw err;
  }
}

/** `sha256:<hex>` of the RFC 8785 canonical JSON of a value; undefined when it has no JSON form. */
export function canonicalDigest(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch {
    return undefined;
  }
  return text === undefined ? undefined : `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** Who is acting: the agent, and where it runs (connect's environment and service). */
export type AgentPlace = {
  agentId: string;
  environment?: string | undefined;
  service?: string | undefined;
};

const shortEnvironment = (value: string | undefined): string | undefined =>
  value?.startsWith("ENVIRONMENT_") ? value.slice("ENVIRONMENT_".length).toLowerCase() : value;

/**
 * The stop scope covering this agent (and, when given, this request), or undefined. Environment and
 * service scopes match the agent's own (connect) as well as the request's fields.
 */
export function coveringScope(
  scopes: readonly StopScopeView[],
  place: AgentPlace,
  request?: Pick<ActionRequestData, "environment" | "service">,
): StopScopeView | undefined {
  const environments = [shortEnvironment(place.environment), shortEnvironment(request?.environment)];
  const services = [place.service, request?.service];
  return scopes.find((scope) => {
    switch (scope.kind) {
      case "global":
        return true;
      case "agent":
        return scope.value === place.agentId;
      case "environment":
        return scope.value !== undefined && environments.includes(scope.value);
      case "service":
        return scope.value !== undefined && services.includes(scope.value);
    }
    return false;
  });
}

/** The refusal an emergency-stop view means for this agent and request, or undefined to go on. */
export function stopRefusal(
  view: StopView,
  place: AgentPlace,
  request: Pick<ActionRequestData, "environment" | "service"> | undefined,
  actionId: string | undefined,
): StoppedError | StopStateUnknownError | undefined {
  if (view.kind === "unknown") return new StopStateUnknownError(view.reason, actionId);
  if (view.kind === "clear") return undefined;
  const scope = coveringScope(view.scopes, place, request);
  return scope === undefined ? undefined : new StoppedError(view.epoch, scope, actionId);
}
