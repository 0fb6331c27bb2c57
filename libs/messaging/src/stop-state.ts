// Following the emergency-stop state in the kill-switch KV bucket, fail-safe (DESIGN.md §6): the
// state counts only while it was confirmed within the lease. A watch pushes changes at once; a
// periodic read re-confirms. Unreadable, unparsable, deleted or unconfirmed state is "unknown",
// which every reader treats as stopped. Missing state is unknown state (DESIGN.md §11): a missing
// key means no stop only while the bucket has never held anything (its stream's last sequence is
// 0); a key missing from a bucket that has held state was deleted or purged, and is unknown.
import { Kvm } from "@nats-io/kv";
import type { KV, KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { EmergencyStopView, KILLSWITCH_STATE_KEY } from "./events/killswitch.ts";
import type { Topology } from "./subjects.ts";

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

export type WatchOptions = {
  log: Logger;
  /** How long a confirmed state stays valid without a new confirmation. */
  leaseMs?: number;
  /** How often the state is re-read to renew the lease. */
  refreshMs?: number;
  now?: () => number;
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

  const accept = (next: StopView): void => {
    if (next.kind !== view.kind) log.info({ from: view.kind, to: next.kind }, "emergency-stop state changed");
    view = next;
    confirmedAt = next.kind === "unknown" ? -Infinity : now();
  };

  let kv: KV | undefined;
  const read = async (): Promise<void> => {
    try {
      kv ??= await new Kvm(nc).open(topology.kv.killswitch);
      const entry = await kv.get(KILLSWITCH_STATE_KEY);
      // Only a missing key needs the bucket's history: its stream's last sequence survives a purge.
      const held = entry !== null || (await kv.status()).streamInfo.state.last_seq > 0;
      accept(stopViewOf(entry, held));
    } catch (err) {
      if (view.kind !== "unknown")
        log.warn({ err }, "cannot read the emergency-stop state; treating as stopped");
      view = { kind: "unknown", reason: `state unreadable: ${(err as Error).message}` };
      confirmedAt = -Infinity;
    }
  };

  await read();
  const timer = setInterval(() => void read(), refreshMs);
  timer.unref();

  // Push path: changes arrive at once rather than at the next refresh.
  let stopWatch: (() => void) | undefined;
  if (kv !== undefined) {
    const watcher = await kv.watch({ key: KILLSWITCH_STATE_KEY });
    stopWatch = () => watcher.stop();
    void (async () => {
      for await (const entry of watcher) accept(stopViewOf(entry, true));
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
    close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      stopWatch?.();
      return Promise.resolve();
    },
  };
}
