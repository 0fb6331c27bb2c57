// Publishes bundle swaps and refusals (warden.policy.bundle.activated / .rejected).
import type { EventPublisher, Topology } from "@warden/messaging";
import { events } from "@warden/messaging";
import type { BundleEvents } from "../../app/ports.ts";

export function natsBundleEvents(
  publisher: EventPublisher,
  topology: Topology,
  instanceId: string,
): BundleEvents {
  return {
    async activated(e) {
      await publisher.publish(topology.subjects.policyBundle("activated"), events.bundleActivated, {
        data: {
          digest: e.digest,
          ...(e.previousDigest !== undefined && { previousDigest: e.previousDigest }),
          source: e.source,
          ruleCount: e.ruleCount,
          activatedAt: e.at.toISOString(),
          instanceId,
        },
      });
    },
    async rejected(e) {
      await publisher.publish(topology.subjects.policyBundle("rejected"), events.bundleRejected, {
        data: {
          ...(e.digest !== undefined && { digest: e.digest }),
          ...(e.activeDigest !== undefined && { activeDigest: e.activeDigest }),
          source: e.source,
          errors: e.issues.map((i) => ({ file: i.file, line: i.line, field: i.field, reason: i.reason })),
          rejectedAt: e.at.toISOString(),
          instanceId,
        },
      });
    },
  };
}
