// Following the emergency-stop state in the kill-switch KV bucket, fail-safe (DESIGN.md §6): the
// state counts only while it was confirmed within the lease. A watch pushes changes at once; a
// periodic read re-confirms. Unreadable, unparsable, deleted or unconfirmed state is "unknown",
// which every reader treats as stopped. Missing state is unknown state (DESIGN.md §11): a missing
// key means no stop only while the bucket has never held anything (its stream's last sequence is
// 0); a key missing from a bucket that has held state was deleted or purged, and is unknown.
//
// Per-scope state (written by the kill-switch service): one key per scope (`scope.global`,
// `scope.environment.<name>`, `scope.agent.<id>`, `scope.service.<name>`, JSON with at least
// {scope, active, epoch, needsReEnabling}) and the epoch counter under `epoch`. Once the counter
// exists the aggregate `state` key is optional; a scope key that is unparsable, deleted or purged,
// or a counter that disappears, is unknown. A scope stops while `active` or `needsReEnabling` (an
// agent not yet re-enabled). The view's epoch is the highest of the counter, the scope records and
// the aggregate. With `acknowledge`, the watcher publishes warden.killswitch.acknowledged for the
// epoch it enforces: at once on every change of epoch, and every `everyMs` as a sign of life.
//
// The epoch acknowledged is the highest one whose change is wholly applied (appliedEpoch), not the
// view's: the kill switch takes the counter first and then writes each scope record of the change
// in turn, so a watcher that has seen the counter, or the first of two scopes, does not yet enforce
// that epoch. A record names every scope key its change wrote (`batch`); a change counts as applied
// once each of them is in at that epoch or later (or already in the state the change set).
import { Kvm } from "@nats-io/kv";
import type { KV, KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Actor } from "./envelope.ts";
import { ACTOR_TYPE_TO_WIRE, events } from "./events/index.ts";
import { EmergencyStopView, KILLSWITCH_STATE_KEY } from "./events/killswitch.ts";
import { z } from "zod";
import type { EventPublisher } from "./publish.ts";
import type { Topology } from "./subjects.ts";

export const KILLSWITCH_EPOCH_KEY = "epoch";
export const KILLSWITCH_SCOPE_KEYS = "scope.>";

/** The fields of a per-scope record every reader relies on (the kill-switch service owns the rest). */
export const ScopeRecordView = z.object({
  scope: z.union([
    z.object({ kind: z.literal("global") }),
    z.object({ kind: z.enum(["environment", "agent", "service"]), value: z.string().min(1) }),
  ]),
  active: z.boolean(),
  epoch: z.number().int().nonnegative(),
  needsReEnabling: z.boolean().default(false),
  /** The scope keys the same change wrote at this epoch (this one included); absent: only this one. */
  batch: z.array(z.string().min(1)).optional(),
});

export type StopScopeView = {
  kind: "global" | "environment" | "agent" | "service";
  value?: string | undefined;
};

export type StopView =
  | { kind: "clear"; epoch: number }
  | { kind: "active"; epoch: number; scopes: StopScopeView[] }
  | { kind: "unknown"; reason: string };

export type StopStateWatcher = {
  /** The state as last confirmed, or unknown when the lease has run out. */
  current(): StopView;
  /** When (epoch ms) the state was last confirmed; undefined while it never was or is unreadable. */
  confirmedAt(): number | undefined;
  /**
   * The epoch whose change the current view holds completely (appliedEpoch); undefined while the
   * state is unknown. A component that applies the view durably notes it with what it applied.
   */
  applied(): number | undefined;
  /** Acknowledges at once if due (after the component's own durable application moved on). */
  acknowledgeNow(): void;
  close(): Promise<void>;
};

const SCOPE_KINDS = {
  SCOPE_KIND_GLOBAL: "global",
  SCOPE_KIND_ENVIRONMENT: "environment",
  SCOPE_KIND_AGENT: "agent",
  SCOPE_KIND_SERVICE: "service",
} as const;

/**
 * Interprets one KV read; exported for unit tests. `bucketHeldState`: whether anything was ever
 * written to the bucket (it holds only the state key), so a missing key is known to be gone rather
 * than never set.
 */
export function stopViewOf(entry: KvEntry | null, bucketHeldState: boolean): StopView {
  if (entry === null) {
    return bucketHeldState
      ? { kind: "unknown", reason: "state is missing from a bucket that held it (deleted or purged)" }
      : { kind: "clear", epoch: 0 };
  }
  if (entry.operation !== "PUT")
    return { kind: "unknown", reason: `state was ${entry.operation === "DEL" ? "deleted" : "purged"}` };
  let json: unknown;
  try {
    json = entry.json();
  } catch {
    return { kind: "unknown", reason: "state is not JSON" };
  }
  const parsed = EmergencyStopView.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      kind: "unknown",
      reason: `state is invalid: ${first?.path.join(".") ?? ""} ${first?.message ?? ""}`.trim(),
    };
  }
  const state = parsed.data;
  if (!state.active) return { kind: "clear", epoch: state.epoch };
  if (state.scopes.length === 0) return { kind: "unknown", reason: "active stop without scopes" };
  return {
    kind: "active",
    epoch: state.epoch,
    scopes: state.scopes.map((s) => ({ kind: SCOPE_KINDS[s.kind], value: s.value })),
  };
}

/**
 * Combines the aggregate `state` key (legacy; optional once the epoch counter exists), the epoch
 * counter and the per-scope records into one view. Exported for unit tests.
 */
export function combinedStopView(input: {
  state: KvEntry | null;
  epoch: KvEntry | null;
  scopes: readonly KvEntry[];
  /** Scope keys whose latest entry is a delete or purge marker. */
  removedScopeKeys: readonly string[];
  bucketHeldState: boolean;
}): StopView {
  const counterWritten = input.epoch !== null;
  if (input.epoch !== null && input.epoch.operation !== "PUT") {
    return { kind: "unknown", reason: "the epoch counter was deleted or purged" };
  }
  if (!counterWritten && (input.scopes.length > 0 || input.removedScopeKeys.length > 0)) {
    return { kind: "unknown", reason: "scope state without an epoch counter (deleted or purged)" };
  }
  const removed = input.removedScopeKeys[0];
  if (removed !== undefined) return { kind: "unknown", reason: `${removed} was deleted or purged` };
  // The aggregate key: required only in a bucket without the counter (the older layout).
  const legacy =
    input.state === null && counterWritten ? undefined : stopViewOf(input.state, input.bucketHeldState);
  if (legacy?.kind === "unknown") return legacy;
  let epoch = legacy?.epoch ?? 0;
  if (input.epoch !== null) {
    const counter = z.number().int().nonnegative().safeParse(safeJson(input.epoch));
    if (!counter.success) return { kind: "unknown", reason: "the epoch counter is invalid" };
    epoch = Math.max(epoch, counter.data);
  }
  const scopes: StopScopeView[] = legacy?.kind === "active" ? [...legacy.scopes] : [];
  for (const entry of input.scopes) {
    const parsed = ScopeRecordView.safeParse(safeJson(entry));
    if (!parsed.success) return { kind: "unknown", reason: `${entry.key} is invalid` };
    epoch = Math.max(epoch, parsed.data.epoch);
    if (parsed.data.active || parsed.data.needsReEnabling) {
      const scope = parsed.data.scope;
      scopes.push(scope.kind === "global" ? { kind: "global" } : { kind: scope.kind, value: scope.value });
    }
  }
  return scopes.length > 0 ? { kind: "active", epoch, scopes } : { kind: "clear", epoch };
}

/**
 * The highest epoch whose change the given entries hold completely, and every change before it:
 * the epoch a consumer may acknowledge once it applied these entries. The epoch counter does not
 * count (it moves before any record is written). A record whose change lists a scope key that is
 * still missing, or still at an older epoch and in the other state, leaves its epoch incomplete;
 * no epoch from the first incomplete one on is acknowledged. Exported for unit tests.
 */
export function appliedEpoch(input: { state: KvEntry | null; scopes: readonly KvEntry[] }): number {
  const records = new Map<string, z.infer<typeof ScopeRecordView>>();
  for (const entry of input.scopes) {
    const parsed = ScopeRecordView.safeParse(safeJson(entry));
    if (parsed.success) records.set(entry.key, parsed.data);
  }
  const changes = new Map<number, { active: boolean; keys: Set<string> }>();
  for (const [key, record] of records) {
    let change = changes.get(record.epoch);
    if (change === undefined) {
      change = { active: record.active, keys: new Set() };
      changes.set(record.epoch, change);
    }
    change.keys.add(key);
    for (const k of record.batch ?? []) change.keys.add(k);
  }
  const complete = (epoch: number, change: { active: boolean; keys: Set<string> }): boolean =>
    [...change.keys].every((key) => {
      const r = records.get(key);
      return r !== undefined && (r.epoch >= epoch || r.active === change.active);
    });
  let firstIncomplete = Infinity;
  for (const [epoch, change] of changes)
    if (!complete(epoch, change)) firstIncomplete = Math.min(firstIncomplete, epoch);
  const candidates = [0, ...changes.keys()];
  if (input.state !== null && input.state.operation === "PUT") {
    // The aggregate key is one write: its epoch is applied with it.
    const legacy = EmergencyStopView.safeParse(safeJson(input.state));
    if (legacy.success) candidates.push(legacy.data.epoch);
  }
  return Math.max(...candidates.filter((e) => e < firstIncomplete), 0);
}

function safeJson(entry: KvEntry): unknown {
  try {
    return entry.json();
  } catch {
    return undefined;
  }
}

export type WatchOptions = {
  log: Logger;
  /** Publish warden.killswitch.acknowledged for the epoch enforced (each policy replica, agents). */
  acknowledge?: {
    publisher: EventPublisher;
    /** Process or replica id, e.g. `policy@host:4242`; also the subject's last token. */
    instanceId: string;
    consumer: Actor;
    /** Re-acknowledge this often as a sign of life (default 30 s); the kill switch forgets the silent. */
    everyMs?: number;
    /**
     * For a component that applies the state somewhere durable first (the approval service signals
     * its workflows): the highest epoch it has applied there. The acknowledgement never goes past
     * it; call `acknowledgeNow()` once it moved. Absent: applying the view in memory is enough.
     */
    durableUpTo?: () => number;
  };
  /** How long a confirmed state stays valid without a new confirmation. */
  leaseMs?: number;
  /** How often the state is re-read to renew the lease. */
  refreshMs?: number;
  now?: () => number;
  /**
   * Called synchronously with each view a read or the watch brings, before the acknowledgement
   * is published (so an agent can abort what the stop covers first, then confirm the epoch). The
   * lease running out is not a change: poll `current()` for it.
   */
  onChange?: (view: StopView) => void;
};

/** Starts following the state; resolves once the first read settled (confirmed or not). */
export async function watchStopState(
  nc: NatsConnection,
  topology: Topology,
  options: WatchOptions,
): Promise<StopStateWatcher> {
  const leaseMs = options.leaseMs ?? 5_000;
  const refreshMs = options.refreshMs ?? Math.max(100, Math.floor(leaseMs / 3));
  const now = options.now ?? Date.now;
  const log = options.log.child({ component: "stop-state" });
  let view: StopView = { kind: "unknown", reason: "not read yet" };
  let confirmedAt = -Infinity;
  let closed = false;

  // Reads overlap (one starts every refreshMs; one sent while the server is away only times out
  // seconds later), so they may settle out of order. Each read is numbered when it starts, and only
  // news newer than what was last applied counts: a read that timed out because it was sent during
  // an outage must not undo the confirmation a later read (or the watch) brought after it. Issue #12:
  // without this the state flapped between unknown and clear for seconds after a NATS restart.
  let readsStarted = 0;
  let applied = 0;

  const accept = (next: StopView, confirmedAsOf: number): void => {
    if (next.kind !== view.kind) log.info({ from: view.kind, to: next.kind }, "emergency-stop state changed");
    view = next;
    confirmedAt = next.kind === "unknown" ? -Infinity : confirmedAsOf;
    if (options.onChange !== undefined) {
      try {
        options.onChange(next);
      } catch (err) {
        log.error({ err }, "emergency-stop onChange handler failed");
      }
    }
  };

  let kv: KV | undefined;
  // Scope keys last seen as delete / purge markers (keys() lists only live keys); cleared by a PUT.
  const removedScopeKeys = new Set<string>();
  // The entries last seen, merged from full reads and the watch by revision (a slow read never
  // undoes a newer pushed change). Scope keys vanish only by delete / purge markers (the watch
  // reports them) or a purge of the whole stream (the counter then reads missing: unknown).
  let stateEntry: KvEntry | null = null;
  let epochEntry: KvEntry | null = null;
  const scopeEntries = new Map<string, KvEntry>();
  let held = false;
  const newer = (current: KvEntry | null | undefined, next: KvEntry): boolean =>
    current === null || current === undefined || next.revision >= current.revision;
  const evaluate = (): StopView =>
    combinedStopView({
      state: stateEntry,
      epoch: epochEntry,
      scopes: [...scopeEntries.keys()].sort().flatMap((k) => scopeEntries.get(k) ?? []),
      removedScopeKeys: [...removedScopeKeys],
      bucketHeldState: held,
    });

  const read = async (): Promise<void> => {
    const mine = ++readsStarted;
    const startedAt = now();
    let next: StopView;
    try {
      kv ??= await new Kvm(nc).open(topology.kv.killswitch);
      const bucket = kv;
      const [state, epoch] = await Promise.all([
        bucket.get(KILLSWITCH_STATE_KEY),
        bucket.get(KILLSWITCH_EPOCH_KEY),
      ]);
      const keys: string[] = [];
      for await (const key of await bucket.keys(KILLSWITCH_SCOPE_KEYS)) keys.push(key);
      const scopes = (await Promise.all(keys.map((key) => bucket.get(key)))).filter(
        (e): e is KvEntry => e !== null && e.operation === "PUT",
      );
      // Only a missing key needs the bucket's history: its stream's last sequence survives a purge.
      const heldNow =
        held || state !== null || epoch !== null || (await bucket.status()).streamInfo.state.last_seq > 0;
      // An older read settling late must not touch what a newer one (or the watch) brought.
      if (mine <= applied) return;
      held = heldNow;
      // A key read as missing is gone (purged), whatever was seen before; otherwise the newer wins.
      stateEntry = state === null ? null : newer(stateEntry, state) ? state : stateEntry;
      epochEntry = epoch === null ? null : newer(epochEntry, epoch) ? epoch : epochEntry;
      for (const entry of scopes)
        if (newer(scopeEntries.get(entry.key), entry)) scopeEntries.set(entry.key, entry);
      next = evaluate();
    } catch (err) {
      if (mine <= applied) return;
      if (view.kind !== "unknown")
        log.warn({ err }, "cannot read the emergency-stop state; treating as stopped");
      next = { kind: "unknown", reason: `state unreadable: ${(err as Error).message}` };
    }
    if (mine <= applied) return;
    applied = mine;
    // Confirmed as of when the read was sent: the lease never counts the time it took.
    accept(next, startedAt);
  };

  // Acknowledgements: at once when the enforced epoch changes, and every `everyMs`.
  const ack = options.acknowledge;
  let acknowledged = -1;
  let acknowledgedAt = -Infinity;
  const acknowledge = (): void => {
    if (ack === undefined || closed || view.kind === "unknown") return;
    // What the view holds now, wholly applied: never the counter alone, never half a change.
    const epoch = Math.min(
      appliedEpoch({ state: stateEntry, scopes: [...scopeEntries.values()] }),
      ack.durableUpTo?.() ?? Infinity,
    );
    const due = epoch !== acknowledged || now() - acknowledgedAt >= (ack.everyMs ?? 30_000);
    if (!due) return;
    acknowledged = epoch;
    acknowledgedAt = now();
    ack.publisher
      .publish(topology.subjects.killswitchAcknowledged(ack.instanceId), events.killswitchAcknowledged, {
        actor: ack.consumer,
        data: {
          acknowledgement: {
            consumer: {
              type: ACTOR_TYPE_TO_WIRE[ack.consumer.type],
              id: ack.consumer.id,
              roles: ack.consumer.roles,
            },
            instanceId: ack.instanceId,
            epoch,
            acknowledgedAt: new Date(acknowledgedAt).toISOString(),
          },
        },
      })
      .catch((err: unknown) => {
        acknowledged = -1;
        if (!closed) log.warn({ err }, "cannot acknowledge the emergency-stop epoch; will retry");
      });
  };

  await read();
  acknowledge();
  const timer = setInterval(() => void read().then(acknowledge), refreshMs);
  timer.unref();

  // Push path: changes arrive at once rather than at the next refresh.
  let stopWatch: (() => void) | undefined;
  if (kv !== undefined) {
    const watcher = await kv.watch({
      key: [KILLSWITCH_STATE_KEY, KILLSWITCH_EPOCH_KEY, KILLSWITCH_SCOPE_KEYS],
    });
    stopWatch = () => watcher.stop();
    void (async () => {
      for await (const entry of watcher) {
        // Newer than every read sent so far: those may only settle on older news.
        applied = readsStarted;
        held = true;
        if (entry.key.startsWith("scope.")) {
          if (entry.operation === "PUT") {
            removedScopeKeys.delete(entry.key);
            if (newer(scopeEntries.get(entry.key), entry)) scopeEntries.set(entry.key, entry);
          } else {
            removedScopeKeys.add(entry.key);
            scopeEntries.delete(entry.key);
          }
        } else if (entry.key === KILLSWITCH_EPOCH_KEY) {
          if (newer(epochEntry, entry)) epochEntry = entry;
        } else if (entry.key === KILLSWITCH_STATE_KEY && newer(stateEntry, entry)) {
          stateEntry = entry;
        }
        // The aggregate key deleted or purged is unknown whatever else the bucket holds.
        accept(
          entry.key === KILLSWITCH_STATE_KEY && entry.operation !== "PUT"
            ? stopViewOf(entry, true)
            : evaluate(),
          now(),
        );
        acknowledge();
      }
    })().catch((err: unknown) => {
      if (!closed) log.warn({ err }, "emergency-stop watch ended; relying on periodic reads");
    });
  }

  return {
    current(): StopView {
      if (view.kind === "unknown") return view;
      if (now() - confirmedAt > leaseMs)
        return { kind: "unknown", reason: `state not confirmed for ${leaseMs} ms` };
      return view;
    },
    confirmedAt(): number | undefined {
      return Number.isFinite(confirmedAt) ? confirmedAt : undefined;
    },
    applied(): number | undefined {
      if (view.kind === "unknown") return undefined;
      return appliedEpoch({ state: stateEntry, scopes: [...scopeEntries.values()] });
    },
    acknowledgeNow: () => acknowledge(),
    close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      stopWatch?.();
      return Promise.resolve();
    },
  };
}
