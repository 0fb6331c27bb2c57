// Health checks (for @warden/telemetry `healthFrom`) that more than one service runs.
import type { NatsConnection } from "@nats-io/transport-node";
import type { StopStateWatcher } from "@warden/messaging";
import type { HealthCheck } from "@warden/telemetry";

/** Healthy while the NATS connection is open (it reconnects on its own; closed means given up). */
export function natsHealth(nc: Pick<NatsConnection, "isClosed">): HealthCheck {
  return () => {
    if (nc.isClosed()) throw new Error("connection closed");
    return "connected";
  };
}

/** Healthy while the emergency-stop state is known (`clear` or `active`); unknown names its reason. */
export function stopStateHealth(watcher: Pick<StopStateWatcher, "current">): HealthCheck {
  return () => {
    const stop = watcher.current();
    if (stop.kind === "unknown") throw new Error(stop.reason);
    return stop.kind;
  };
}
