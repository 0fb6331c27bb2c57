import { readFileSync } from "node:fs";
import { ApprovalServiceDefinition } from "./gen/warden/approval/v1/approval.ts";
import { AuditServiceDefinition } from "./gen/warden/audit/v1/audit.ts";
import { KillSwitchServiceDefinition } from "./gen/warden/killswitch/v1/killswitch.ts";
import { PolicyServiceDefinition } from "./gen/warden/policy/v1/policy_service.ts";
import { RollbackServiceDefinition } from "./gen/warden/rollback/v1/rollback.ts";

/**
 * Location of the protobuf-encoded `google.protobuf.FileDescriptorSet` of every Warden proto file
 * and its imports, with comments (written by `buf build` in `make proto`, drift-checked with the
 * generated code).
 */
export const descriptorSetUrl: URL = new URL("./gen/descriptor.binpb", import.meta.url);

/**
 * Reads the FileDescriptorSet for gRPC server reflection, e.g.
 * `server.add(ServerReflectionService, ServerReflection(readDescriptorSet(), [...wardenServiceNames, HealthDefinition.fullName]))`.
 * Reads the file on each call: call it once at start-up.
 */
export function readDescriptorSet(): Uint8Array {
  return readFileSync(descriptorSetUrl);
}

/** Fully-qualified names of Warden's gRPC services, e.g. "warden.policy.v1.PolicyService". */
export const wardenServiceNames: readonly string[] = [
  PolicyServiceDefinition.fullName,
  ApprovalServiceDefinition.fullName,
  KillSwitchServiceDefinition.fullName,
  RollbackServiceDefinition.fullName,
  AuditServiceDefinition.fullName,
];
