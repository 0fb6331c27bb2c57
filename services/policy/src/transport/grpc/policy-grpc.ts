// gRPC PolicyService: Evaluate, Explain, GetBundle. Requests are mapped through the same proto JSON
// schema and wire mapping as NATS, so every transport validates and decides the same way.
import { commonV1, policyV1 } from "@warden/contracts";
import type { WardenCallContext } from "@warden/grpc";
import { grpcService, InvalidArgumentError } from "@warden/grpc";
import type { GrpcServiceRegistration } from "@warden/grpc";
import { ActionRequestData, issuesOf } from "@warden/messaging";
import type { PolicyService } from "../../app/policy-service.ts";
import type { RequestOrigin } from "../../app/ports.ts";
import { BUILTIN } from "../../domain/evaluator.ts";
import type { ActionRequest } from "../../domain/action-request.ts";
import { actionRequestFromWire, decisionToWire, dryRunToWire } from "../../wire/wire.ts";
import type { PolicyAccess } from "./policy-access.ts";

function parseRequest(request: commonV1.ActionRequest | undefined): ActionRequestData {
  if (request === undefined) throw new InvalidArgumentError("request", "required");
  const parsed = ActionRequestData.safeParse(commonV1.ActionRequest.toJSON(request));
  if (parsed.success) return parsed.data;
  const [first, ...rest] = issuesOf(parsed.error, "request");
  throw first === undefined
    ? new InvalidArgumentError("request", "invalid")
    : new InvalidArgumentError([first, ...rest]);
}

/**
 * The decision is for the request's agent. Its own ai_agent / service token makes it a real decision;
 * anyone else (a human, another agent) needs a dry-run role and gets a dry run (ADR 0009).
 */
function originOf(access: PolicyAccess, context: WardenCallContext, wire: ActionRequestData): RequestOrigin {
  const dryRunBy = access.evaluate(context.principal, wire.agentId);
  return {
    authenticatedAgentId: wire.agentId,
    wireRequest: wire,
    ...(dryRunBy !== undefined && { dryRunBy }),
  };
}

export function policyGrpcService(service: PolicyService, access: PolicyAccess): GrpcServiceRegistration {
  const parse = (request: commonV1.ActionRequest | undefined) => {
    const wire = parseRequest(request);
    const domain: ActionRequest = actionRequestFromWire(wire);
    return { wire, domain };
  };
  return grpcService(policyV1.PolicyServiceDefinition, {
    async evaluate(req, context) {
      const { wire, domain } = parse(req.request);
      const origin = originOf(access, context, wire);
      const { decision, stop } = await service.decide(domain, origin);
      return {
        decision: policyV1.Decision.fromJSON({
          ...decisionToWire(decision, wire, stop, BUILTIN.stopActive),
          ...dryRunToWire(origin.dryRunBy),
        }),
      };
    },
    explain(req, context) {
      const { wire, domain } = parse(req.request);
      access.explain(context.principal, wire.agentId);
      const explanation = service.explain(domain, { authenticatedAgentId: wire.agentId, wireRequest: wire });
      return Promise.resolve({
        decision: policyV1.Decision.fromJSON(
          decisionToWire(explanation.decision, wire, { kind: "clear" }, BUILTIN.stopActive),
        ),
        rules: explanation.rules.map((r) =>
          policyV1.RuleExplanation.fromJSON({
            ruleId: r.ruleId,
            matched: r.status === "matched",
            effect: {
              allow: "EFFECT_ALLOW",
              deny: "EFFECT_DENY",
              approval_required: "EFFECT_APPROVAL_REQUIRED",
            }[r.effect],
            shadow: r.shadow,
            reason: r.status === "matched" ? r.detail : `${r.status.replace(/_/g, " ")}: ${r.detail}`,
          }),
        ),
      });
    },
    getBundle(_req, context) {
      access.getBundle(context.principal);
      const status = service.status();
      return Promise.resolve({
        bundle: {
          digest: status.digest,
          loadedAt: status.loadedAt,
          ruleCount: status.ruleCount,
          source: status.source,
          agentProfileCount: status.agentCount,
          workflowCount: status.workflowCount,
        },
      });
    },
  });
}
