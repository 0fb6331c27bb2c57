// Forwards emergency-stop changes to the approval workflows: at start (a restart re-sends the
// current state) and whenever the watcher's view changes (compared every `pollMs`; the watcher
// itself is push-fed by a KV watch). One forward at a time; a failed one is retried on the next tick.
import type { ApprovalService } from "./approval-service.ts";

export interface StopForwarder {
  close(): Promise<void>;
}

export async function startStopForwarder(
  service: Pick<ApprovalService, "forwardStop">,
  options: { pollMs: number; log: { warn(obj: object, msg: string): void } },
): Promise<StopForwarder> {
  let running: Promise<unknown> = Promise.resolve();
  let closed = false;
  let force = true;
  const tick = (): void => {
    running = running.then(async () => {
      if (closed) return;
      try {
        await service.forwardStop({ force });
        force = false;
      } catch (err) {
        options.log.warn({ err }, "could not forward the emergency-stop state; retrying");
      }
    });
  };
  tick();
  await running;
  const timer = setInterval(tick, options.pollMs);
  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
