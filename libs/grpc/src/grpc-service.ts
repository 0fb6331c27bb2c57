import type {
  CompatServiceDefinition,
  NormalizedServiceDefinition,
  Server,
  ServiceImplementation,
} from "nice-grpc";
import type { CallContext, ServerMiddleware } from "nice-grpc-common";
import type { AuthCallContext, AuthMiddlewareOptions } from "./auth-middleware.ts";
import type { LoggingCallContext } from "./logging-middleware.ts";
import type { TerminatorCallContext } from "./terminator-middleware.ts";

/** What every handler gets besides nice-grpc's CallContext: per-call logger, log annotations, shutdown hook. */
export type BaseCallContext = LoggingCallContext & TerminatorCallContext;

/** Call context of an authenticated handler: the base plus the verified principal. */
export type WardenCallContext = CallContext & BaseCallContext & AuthCallContext;

/** Call context of a public (unauthenticated) handler. */
export type PublicCallContext = CallContext & BaseCallContext;

/** Implementation of an authenticated service; each handler gets a `WardenCallContext`. */
export type WardenServiceImplementation<Service extends CompatServiceDefinition> = ServiceImplementation<
  Service,
  BaseCallContext & AuthCallContext
>;

/** Implementation of a public service; each handler gets a `PublicCallContext`. */
export type PublicServiceImplementation<Service extends CompatServiceDefinition> = ServiceImplementation<
  Service,
  BaseCallContext
>;

/**
 * Roles per method, keyed by the implementation's method names; `"*"` applies to every method
 * without its own entry. The caller needs every listed role (`requireRoles` semantics).
 */
export type MethodRoles<Service extends CompatServiceDefinition> = {
  [Method in keyof NormalizedServiceDefinition<Service> | "*"]?: readonly string[];
};

/** Builds the auth middleware for one service from its role table (supplied by `createGrpcServer`). */
export type AuthFactory = (
  rolesFor: NonNullable<AuthMiddlewareOptions["rolesFor"]>,
) => ServerMiddleware<AuthCallContext, LoggingCallContext>;

/** A service ready to be mounted by `createGrpcServer`; build one with `grpcService` or `publicGrpcService`. */
export type GrpcServiceRegistration = {
  /** Fully-qualified service name (`warden.policy.v1.PolicyService`): health and reflection key. */
  readonly serviceName: string;
  /** Full method paths (`/warden.policy.v1.PolicyService/Evaluate`). */
  readonly methodPaths: readonly string[];
  readonly isPublic: boolean;
  /** @internal called once by `createGrpcServer`. */
  mount(server: Server<BaseCallContext>, auth: AuthFactory): void;
};

/**
 * An authenticated service: every call needs a valid bearer token; `roles` adds per-method role
 * requirements (PERMISSION_DENIED naming the role when missing). For checks that depend on the
 * request, call `requireRole(context, …)` inside the handler.
 */
export function grpcService<Service extends CompatServiceDefinition>(
  definition: Service,
  implementation: WardenServiceImplementation<Service>,
  options: { roles?: MethodRoles<Service> } = {},
): GrpcServiceRegistration {
  const methods = methodPaths(definition);
  const roleTable = new Map<string, readonly string[]>();
  const table: Partial<Record<string, readonly string[]>> = options.roles ?? {};
  const fallback = table["*"];
  for (const [name, path] of methods) {
    const roles = table[name] ?? fallback;
    if (roles !== undefined) roleTable.set(path, roles);
  }
  for (const name of Object.keys(table)) {
    if (name !== "*" && !methods.has(name)) throw new Error(`roles given for unknown method ${name}`);
  }
  const [first] = methods.values();
  return {
    serviceName: serviceNameOf(first),
    methodPaths: [...methods.values()],
    isPublic: false,
    mount(server, auth) {
      server.with(auth((path) => roleTable.get(path))).add(definition, implementation);
    },
  };
}

/** A service mounted without the auth middleware (health-style endpoints). Use sparingly. */
export function publicGrpcService<Service extends CompatServiceDefinition>(
  definition: Service,
  implementation: PublicServiceImplementation<Service>,
): GrpcServiceRegistration {
  const methods = methodPaths(definition);
  const [first] = methods.values();
  return {
    serviceName: serviceNameOf(first),
    methodPaths: [...methods.values()],
    isPublic: true,
    mount(server) {
      server.add(definition, implementation);
    },
  };
}

type PathCarrier = { path: string };
type TsProtoShape = { fullName: string; methods: Record<string, { name: string }> };

/** Implementation method name → full path, for ts-proto, nice-grpc and grpc-js definitions alike. */
function methodPaths(definition: CompatServiceDefinition): Map<string, string> {
  const paths = new Map<string, string>();
  if (isTsProto(definition)) {
    for (const [key, method] of Object.entries(definition.methods))
      paths.set(key, `/${definition.fullName}/${method.name}`);
  } else {
    for (const [key, method] of Object.entries(definition as Record<string, PathCarrier>))
      paths.set(key, method.path);
  }
  if (paths.size === 0) throw new Error("service definition has no methods");
  return paths;
}

function isTsProto(
  definition: CompatServiceDefinition,
): definition is CompatServiceDefinition & TsProtoShape {
  return (
    typeof definition.fullName === "string" &&
    typeof definition.methods === "object" &&
    definition.methods !== null
  );
}

function serviceNameOf(path: string | undefined): string {
  const match = path === undefined ? null : /^\/([^/]+)\/[^/]+$/.exec(path);
  if (match?.[1] === undefined) throw new Error(`unexpected gRPC method path ${String(path)}`);
  return match[1];
}
