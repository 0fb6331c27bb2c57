// The alarm event of a refused start: warden.audit.store_behind on WARDEN_EVENTS, published when the
// store's head is behind the WARDEN_AUDIT stream (app/check-store-head.ts). It is a `warden.>`
// event, so the audit records it — once the store is restored and the writer runs again — and the
// trail itself shows that the store was found behind. Subscribers (paging, dashboards) see it at once.
//
// Defined here, not in @warden/messaging's catalog, like warden.audit.queried: no service consumes it.
import { defineEvent, type EventPublisher, type Topology } from "@warden/messaging";
import { z } from "zod";
import type { StoreBehind } from "../../app/check-store-head.ts";

export const AuditStoreBehindData = z.strictObject({
  action: z.literal("audit.store_behind"),
  storeHeadSeq: z.number().int().nonnegative(),
  behind: z
    .array(
      z.strictObject({
        source: z.enum(["checkpoint", "stream"]),
        expectedSeq: z.number().int().nonnegative(),
      }),
    )
    .min(1),
  /** The replica that refused (host:pid). */
  replica: z.string().max(256),
  recovery: z.string().max(1024),
});
export type AuditStoreBehindData = z.infer<typeof AuditStoreBehindData>;

export const auditStoreBehindEvent = defineEvent("warden.audit.store_behind", AuditStoreBehindData, {
  requiresActionId: false,
});

export async function publishStoreBehind(
  publisher: EventPublisher,
  topology: Topology,
  behind: readonly StoreBehind[],
  details: { replica: string; recovery: string },
): Promise<void> {
  await publisher.publish(topology.subjects.auditStoreBehind, auditStoreBehindEvent, {
    data: {
      action: "audit.store_behind",
      storeHeadSeq: behind[0]?.storeHeadSeq ?? 0,
      behind: behind.map((b) => ({ source: b.source, expectedSeq: b.expectedSeq })),
      replica: details.replica,
      recovery: details.recovery,
    },
  });
}
