// The evidence a report is built from: audit records as the AuditService returns them, reduced to
// plain JSON (the CLI maps warden.audit.v1.AuditRecord to this; the console can do the same). `data`
// is the event's data as received (proto3 JSON: enums as names, zero values omitted).

export type ActorKind = "human" | "ai_agent" | "service" | "unknown";

export interface EvidenceActor {
  readonly type: ActorKind;
  readonly id: string;
  readonly roles: readonly string[];
}

export interface EvidenceRecord {
  readonly seq: number;
  readonly type: string;
  /** Event time, ISO 8601. */
  readonly time: string;
  readonly actor: EvidenceActor;
  readonly actionId: string;
  readonly agentId: string;
  readonly action: string;
  /** "production", "staging", "development" or "" (unknown). */
  readonly environment: string;
  readonly outcome: string;
  readonly bundleDigest: string;
  readonly ai?: { readonly model: string; readonly rationale: string } | undefined;
  /** "production-7y", "staging-1y", "development-90d" or "". */
  readonly retentionClass: string;
  /** ISO 8601, or "" when not set. */
  readonly retainUntil: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** What Verify said about the period's records (warden.audit.v1.VerifyResponse). */
export interface ChainVerification {
  readonly ok: boolean;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly recordsChecked: number;
  readonly checkpointsChecked: number;
  readonly firstBadSeq: number;
  readonly problem: string;
  readonly detail: string;
  readonly checkpointSource: string;
}

export interface Period {
  /** ISO 8601, inclusive. */
  readonly from: string;
  /** ISO 8601, exclusive. */
  readonly to: string;
}

// Reading proto3 JSON without trusting its shape: every accessor answers a default.
export type Json = Readonly<Record<string, unknown>>;

export function obj(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function num(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return 0;
}

export function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function strings(value: unknown): string[] {
  return arr(value).filter((v): v is string => typeof v === "string");
}

/** An ActorData (proto JSON) as an EvidenceActor. */
export function actorOf(value: unknown): EvidenceActor | undefined {
  const a = obj(value);
  if (a === undefined || str(a.id) === "") return undefined;
  const t = str(a.type);
  const type: ActorKind =
    t === "ACTOR_TYPE_HUMAN" || t === "human"
      ? "human"
      : t === "ACTOR_TYPE_AI_AGENT" || t === "ai_agent"
        ? "ai_agent"
        : t === "ACTOR_TYPE_SERVICE" || t === "service"
          ? "service"
          : "unknown";
  return { type, id: str(a.id), roles: strings(a.roles) };
}

/** The path of a value in `data`, e.g. at(r.data, "approval", "request"). */
export function at(value: unknown, ...path: string[]): unknown {
  let v: unknown = value;
  for (const p of path) v = obj(v)?.[p];
  return v;
}
