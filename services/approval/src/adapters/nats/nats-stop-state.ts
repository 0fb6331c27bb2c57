// StopStateReader over @warden/messaging's stop-state watcher (lease-based, fail-safe).
import type { StopStateWatcher } from "@warden/messaging";
import type { StopStateReader } from "../../app/ports.ts";

export function natsStopState(watcher: StopStateWatcher): StopStateReader {
  return { current: () => watcher.current(), applied: () => watcher.applied() };
}
