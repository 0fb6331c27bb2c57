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
import { actionRequestFromWire, decisionToWire } from "../../wire/wire.ts";

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
 * Agents and pipelines (ai_agent / service tokens) are the agent their token names; a human may ask
 * on an agent's behalf (a dry run from a console), and the decision records it under that agent.
 */
function originOf(context: WardenCallContext, wire: ActionRequestData): RequestOrigin {
  const principal = context.principal;
  const agent = principal.type === "human" ? wire.agentId : principal.id;
  return { authenticatedAgentId: agent, wireRequest: wire };
}

export function policyGrpcService(service: PolicyService): GrpcServiceRegistration {
  const prepare = (request: commonV1.ActionRequest | undefined, context: WardenCallContext) => {
    const wire = parseRequest(request);
    const domain: ActionRequest = actionRequestFromWire(wire);
    return { wire, domain, origin: originOf(context, wire) };
  };
  return grpcService(policyV1.PolicyServiceDefinition, {
    async evaluate(req, context) {
      const { wire, domain, origin } = prepare(req.request, context);
      const { decision, stop } = await service.decide(domain, origin);
      return {
        decision: policyV1.Decision.fromJSON(decisionToWire(decision, wire, stop, BUILTIN.stopActive)),
      };
    },
    explain(req, context) {
      const { wire, domain, origin } = prepare(req.request, context);
      const explanation = service.explain(domain, origin);
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
    getBundle() {
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
