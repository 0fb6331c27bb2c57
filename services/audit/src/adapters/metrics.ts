// Prometheus metrics of the audit service (served on /metrics by the ops server).
import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";

export type AuditMetrics = {
  /** Records committed to the chain. */
  committed: Counter;
  /** Deliveries already recorded (redeliveries, re-publishes), acknowledged without a record. */
  duplicates: Counter;
  /** Messages whose envelope never decodes: terminated and reported as warden.invalid.*. */
  invalid: Counter;
  /** Batches whose write failed (store down): nak'ed for redelivery. */
  storeFailures: Counter;
  /** Time to write one batch (map, encrypt, chain, insert with w: majority). */
  batchSeconds: Histogram;
  batchSize: Histogram;
  /**
   * Commit time minus the time the event entered WARDEN_EVENTS (the stream's timestamp, observed by
   * the installation, not the envelope's `time`, which the sender sets), per record.
   */
  commitLagSeconds: Histogram;
  /** Highest committed seq. */
  headSeq: Gauge;
  /** Committed records not yet published on the audit stream. */
  outbox: Gauge;
  /** 1 while the store's head is behind the audit stream (source: checkpoint | stream), else 0. */
  storeBehind: Gauge<"source">;
};

export function createAuditMetrics(registry: Registry): AuditMetrics {
  const registers = [registry];
  return {
    committed: new Counter({
      name: "warden_audit_records_committed_total",
      help: "Audit records committed to the chain",
      registers,
    }),
    duplicates: new Counter({
      name: "warden_audit_duplicates_total",
      help: "Deliveries of already recorded events, acknowledged without a new record",
      registers,
    }),
    invalid: new Counter({
      name: "warden_audit_invalid_messages_total",
      help: "Messages with an invalid envelope, terminated and reported as warden.invalid.*",
      registers,
    }),
    storeFailures: new Counter({
      name: "warden_audit_store_failures_total",
      help: "Batches whose write to the store failed and were redelivered",
      registers,
    }),
    batchSeconds: new Histogram({
      name: "warden_audit_batch_seconds",
      help: "Time to write one batch to the store",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchSize: new Histogram({
      name: "warden_audit_batch_size",
      help: "Events per written batch",
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers,
    }),
    commitLagSeconds: new Histogram({
      name: "warden_audit_commit_lag_seconds",
      help: "Time from an event's arrival in WARDEN_EVENTS (the stream's timestamp, not the sender's time field) to its record's commit",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    headSeq: new Gauge({
      name: "warden_audit_head_seq",
      help: "Highest committed seq of the chain (as seen by this replica)",
      registers,
    }),
    outbox: new Gauge({
      name: "warden_audit_outbox_records",
      help: "Committed records waiting to be published on the audit stream",
      registers,
    }),
    storeBehind: new Gauge({
      name: "warden_audit_store_behind",
      help: "1 while the store's head is behind the audit stream's newest signed checkpoint (source=checkpoint) or last record (source=stream): the writer refuses to write",
      labelNames: ["source"],
      registers,
    }),
  };
}
