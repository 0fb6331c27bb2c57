// warden.decision.approval_required.<agent> → an approval workflow. A durable JetStream consumer
// shared by every replica. The message is acknowledged only once Temporal accepted the start (or
// said the workflow exists: a duplicate decision is a no-op by Temporal's id policies); while
// Temporal is unavailable it is redelivered after a delay, so an outage delays approvals and loses
// none. A decision that can never become an approval is terminated and reported (warden.invalid.*).
// Dry runs are published outside this subject (topology.subjects.decisionDryRun).
import type { NatsConnection } from "@nats-io/transport-node";
import type { EventPublisher, RunningConsumer, Topology } from "@warden/messaging";
import { consumeEvents, decodeEventAs, events, InvalidMessageError, TransientError } from "@warden/messaging";
import type { Logger } from "pino";
import type { ApprovalService } from "../../app/approval-service.ts";
import { WorkflowsUnavailableError } from "../../app/ports.ts";
import { approvalInputFromDecision } from "../../wire/decision-input.ts";
import type { ApprovalPolicy } from "../../wire/decision-input.ts";

export const APPROVAL_STARTER_DURABLE = "approval-starter";

/** The agent a decision subject names (its last token), or undefined. */
export function agentOfDecision(topology: Topology, subject: string): string | undefined {
  const prefix = topology.subjects.decisionApprovalRequired.replace(/>$/, "");
  const rest = subject.startsWith(prefix) ? subject.slice(prefix.length) : "";
  return rest === "" || rest.includes(".") ? undefined : rest;
}

export function consumeApprovalDecisions(deps: {
  nc: NatsConnection;
  topology: Topology;
  service: ApprovalService;
  publisher: EventPublisher;
  log: Logger;
  policy: ApprovalPolicy;
  concurrency: number;
  retryDelayMs: number;
  onStarted?: (actionId: string, started: boolean) => void;
}): Promise<RunningConsumer> {
  const { topology } = deps;
  const log = deps.log.child({ component: "approval-starter" });
  let waiting = false;
  return consumeEvents({
    nc: deps.nc,
    topology,
    spec: {
      stream: topology.streams.events,
      durable: APPROVAL_STARTER_DURABLE,
      filterSubjects: [topology.subjects.decisionApprovalRequired],
    },
    decode: (bytes) => decodeEventAs(bytes, events.decisionMade),
    publisher: deps.publisher,
    log: deps.log,
    concurrency: deps.concurrency,
    retryDelayMs: deps.retryDelayMs,
    handler: async (event, meta) => {
      const agent = agentOfDecision(topology, meta.subject);
      if (agent === undefined) {
        throw new InvalidMessageError("identity", [
          { field: "(subject)", reason: `${meta.subject} does not name one agent` },
        ]);
      }
      const input = approvalInputFromDecision(event.data, agent, deps.policy);
      try {
        const { started } = await deps.service.start(input);
        if (waiting) {
          waiting = false;
          log.info("Temporal accepts starts again");
        }
        deps.onStarted?.(input.actionId, started);
      } catch (err) {
        if (err instanceof WorkflowsUnavailableError) {
          if (!waiting) {
            waiting = true;
            log.warn({ err }, "Temporal unavailable; approval decisions are redelivered until it answers");
          }
          throw new TransientError(err.message, {
            cause: err,
            retryAfterMs: deps.retryDelayMs,
            logLevel: "debug",
          });
        }
        throw err;
      }
    },
  });
}
