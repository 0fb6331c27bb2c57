// gRPC KillSwitchService: Activate, Deactivate, Status, Acknowledge, RequestReEnable. The caller is the verified
// token's principal; nothing in a request body says who is asking.
import { killswitchV1 } from "@warden/contracts";
import { grpcService } from "@warden/grpc";
import type { GrpcServiceRegistration } from "@warden/grpc";
import type { KillSwitchService } from "../../app/kill-switch-service.ts";
import type { ReEnabler } from "../../app/re-enable.ts";
import { emergencyStopToWire, personOf, scopeFromWire, statusToWire } from "../../wire/kill-switch-wire.ts";

const scopesOf = (scopes: killswitchV1.Scope[]) =>
  scopes.map((s, i) =>
    scopeFromWire(killswitchV1.Scope.toJSON(s) as { kind: string; value?: string }, `scopes[${i}]`),
  );

export function killSwitchGrpcService(
  service: KillSwitchService,
  reEnabler: ReEnabler,
): GrpcServiceRegistration {
  return grpcService(killswitchV1.KillSwitchServiceDefinition, {
    async activate(req, context) {
      await service.activate(personOf(context.principal), {
        scopes: scopesOf(req.scopes),
        reason: req.reason,
      });
      return { state: killswitchV1.EmergencyStop.fromJSON(emergencyStopToWire(await service.status())) };
    },
    async deactivate(req, context) {
      const result = await service.deactivate(personOf(context.principal), {
        epoch: req.epoch,
        scopes: scopesOf(req.scopes),
        reviewRef: req.reviewRef,
        rootCause: req.rootCause,
        prevention: req.prevention,
        reEnableAgents: req.reEnableAgents,
      });
      return {
        state: killswitchV1.EmergencyStop.fromJSON(emergencyStopToWire(result.status)),
        deactivated: result.deactivated,
        missingRoles: [...result.missingRoles],
      };
    },
    async status() {
      return killswitchV1.StatusResponse.fromJSON(statusToWire(await service.status()));
    },
    async requestReEnable(req, context) {
      return reEnabler.request(personOf(context.principal), { agentId: req.agentId, reason: req.reason });
    },
    async acknowledge(req, context) {
      const status = await service.acknowledge(personOf(context.principal), {
        epoch: req.epoch,
        instanceId: req.instanceId,
      });
      return { state: killswitchV1.EmergencyStop.fromJSON(emergencyStopToWire(status)) };
    },
  });
}
