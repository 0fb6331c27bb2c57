import { describe, expect, it } from "vitest";
import { EchoServiceDefinition } from "./fixtures/echo-service.ts";
import { grpcService } from "./grpc-service.ts";
import type { WardenServiceImplementation } from "./grpc-service.ts";

const notCalled = (): never => {
  throw new Error("not called");
};

// The shape ts-proto's `outputServices=nice-grpc` generates (messages stubbed).
const message = { encode: () => ({ finish: () => new Uint8Array() }), decode: () => ({}) };
const TsProtoDefinition = {
  name: "PolicyService",
  fullName: "warden.policy.v1.PolicyService",
  methods: {
    evaluate: {
      name: "Evaluate",
      requestType: message,
      requestStream: false,
      responseType: message,
      responseStream: false,
      options: {},
    },
    explain: {
      name: "Explain",
      requestType: message,
      requestStream: false,
      responseType: message,
      responseStream: false,
      options: {},
    },
  },
} as const;

describe("grpcService", () => {
  it("reads service name and method paths from a ts-proto definition", () => {
    const registration = grpcService(
      TsProtoDefinition,
      { evaluate: notCalled, explain: notCalled },
      { roles: { explain: ["auditor"] } },
    );
    expect(registration.serviceName).toBe("warden.policy.v1.PolicyService");
    expect(registration.methodPaths).toEqual([
      "/warden.policy.v1.PolicyService/Evaluate",
      "/warden.policy.v1.PolicyService/Explain",
    ]);
    expect(registration.isPublic).toBe(false);
  });

  it("reads them from a nice-grpc definition", () => {
    const implementation: WardenServiceImplementation<typeof EchoServiceDefinition> = {
      echo: notCalled,
      adminEcho: notCalled,
      count: notCalled,
    };
    const registration = grpcService(EchoServiceDefinition, implementation);
    expect(registration.serviceName).toBe("warden.test.v1.EchoService");
    expect(registration.methodPaths).toContain("/warden.test.v1.EchoService/AdminEcho");
  });

  it("refuses roles for a method the service does not have", () => {
    const roles = { evaluat: ["requester"] } as unknown as { evaluate: string[] };
    expect(() =>
      grpcService(TsProtoDefinition, { evaluate: notCalled, explain: notCalled }, { roles }),
    ).toThrow(/unknown method evaluat/);
  });
});
