// @warden/contracts: TypeScript for the proto contracts in proto/warden/<domain>/v1, generated
// by ts-proto into ./gen (never edit it; run `make proto`). One namespace per proto package:
//
//   import { commonV1, policyV1 } from "@warden/contracts";
//   const request: commonV1.ActionRequest = commonV1.ActionRequest.fromJSON(json);
//   server.add(policyV1.PolicyServiceDefinition, impl);
//
// Only transport mappers (src/transport, src/adapters) should import this package; domain code
// keeps its own types (STYLE.md item 11).
export * as commonV1 from "./gen/index.warden.common.v1.ts";
export * as policyV1 from "./gen/index.warden.policy.v1.ts";
export * as approvalV1 from "./gen/index.warden.approval.v1.ts";
export * as killswitchV1 from "./gen/index.warden.killswitch.v1.ts";
export * as rollbackV1 from "./gen/index.warden.rollback.v1.ts";
export * as auditV1 from "./gen/index.warden.audit.v1.ts";
export * as complianceV1 from "./gen/index.warden.compliance.v1.ts";
export { descriptorSetUrl, readDescriptorSet, wardenServiceNames } from "./descriptor-set.ts";
