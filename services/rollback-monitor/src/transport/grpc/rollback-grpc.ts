// gRPC RollbackService: GetStatus, TriggerRollback. The caller is the verified token's principal;
// a manual rollback needs one of the policy's manual roles (refusals are published as events).
import { rollbackV1 } from "@warden/contracts";
import { grpcService, InvalidArgumentError, NotFoundError, PermissionDeniedError } from "@warden/grpc";
import type { GrpcServiceRegistration } from "@warden/grpc";
import { DeploymentNotFoundError, ManualRollbackRefusedError } from "../../app/rollback-monitor.ts";
import type { RollbackMonitor } from "../../app/rollback-monitor.ts";
import { statusToWire } from "../rollback-wire.ts";

export function rollbackGrpcService(monitor: RollbackMonitor): GrpcServiceRegistration {
  return grpcService(rollbackV1.RollbackServiceDefinition, {
    getStatus(req) {
      if (req.deploymentId === "") throw new InvalidArgumentError("deployment_id", "is required");
      const view = monitor.status(req.deploymentId);
      if (view === undefined) throw new NotFoundError("deployment", req.deploymentId);
      return Promise.resolve({ status: rollbackV1.DeploymentStatus.fromJSON(statusToWire(view)) });
    },
    async triggerRollback(req, context) {
      if (req.deploymentId === "") throw new InvalidArgumentError("deployment_id", "is required");
      const principal = context.principal;
      try {
        const result = await monitor.triggerManual(req.deploymentId, req.reason, {
          type: principal.type,
          id: principal.id,
          roles: [...principal.roles],
        });
        return {
          status: rollbackV1.DeploymentStatus.fromJSON(statusToWire(result.view)),
          workflowId: result.workflowId,
        };
      } catch (err) {
        if (err instanceof ManualRollbackRefusedError) {
          if (err.field === "reason") throw new InvalidArgumentError("reason", "is required");
          throw new PermissionDeniedError(err.message);
        }
        if (err instanceof DeploymentNotFoundError) throw new NotFoundError("deployment", err.deploymentId);
        throw err;
      }
    },
  });
}
