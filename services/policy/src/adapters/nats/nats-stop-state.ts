// StopStateReader over the kill-switch KV bucket (lease-based, fail-safe; see @warden/messaging).
import type { StopStateWatcher } from "@warden/messaging";
import type { StopStateReader } from "../../app/ports.ts";
import { STOP_CLEAR } from "../../domain/stop-state.ts";
import type { StopState } from "../../domain/stop-state.ts";

export function natsStopState(watcher: StopStateWatcher): StopStateReader {
  return {
    current(): StopState {
      const view = watcher.current();
      switch (view.kind) {
        case "clear":
          return view.epoch === 0 ? STOP_CLEAR : { kind: "clear", epoch: view.epoch };
        case "active":
          return { kind: "active", epoch: view.epoch, scopes: view.scopes };
        case "unknown":
          return { kind: "unknown", reason: view.reason };
      }
    },
  };
}
