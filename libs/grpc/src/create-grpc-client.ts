import { ChannelCredentials, createChannel, createClientFactory, Metadata } from "nice-grpc";
import type { ChannelOptions, Client, CompatServiceDefinition } from "nice-grpc";
import type { CallOptions, ClientMiddleware, ClientMiddlewareCall } from "nice-grpc-common";
import { openTelemetryClientMiddleware } from "nice-grpc-opentelemetry";

/** A bearer token, or a function returning the current one (called per call, so tokens can rotate). */
export type TokenSource = string | (() => string | Promise<string>);

export type GrpcClientOptions = {
  token?: TokenSource;
  /** Start a client span and inject W3C `traceparent` into metadata. Default true. */
  traceContext?: boolean;
  /** Default false: plaintext (in-cluster behind a mesh, tests). */
  tls?: boolean;
  channelOptions?: ChannelOptions;
};

export type GrpcClient<Service extends CompatServiceDefinition> = {
  client: Client<Service>;
  close(): void;
  [Symbol.dispose](): void;
};

/** Adds `authorization: Bearer <token>` unless the call already carries an authorization header. */
export function bearerTokenMiddleware(token: TokenSource): ClientMiddleware {
  return async function* bearer<Request, Response>(
    call: ClientMiddlewareCall<Request, Response>,
    options: CallOptions,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const metadata = Metadata(options.metadata);
    if (!metadata.has("authorization")) {
      metadata.set("authorization", `Bearer ${typeof token === "string" ? token : await token()}`);
    }
    return yield* call.next(call.request, { ...options, metadata });
  };
}

/** A typed client for `definition` at `address` (`host:port`), with bearer token and trace context middleware. */
export function createGrpcClient<Service extends CompatServiceDefinition>(
  definition: Service,
  address: string,
  options: GrpcClientOptions = {},
): GrpcClient<Service> {
  const channel = createChannel(
    address,
    options.tls === true ? ChannelCredentials.createSsl() : ChannelCredentials.createInsecure(),
    options.channelOptions,
  );
  // nice-grpc runs client middleware in reverse order of `use`: the last attached runs first.
  let factory = createClientFactory();
  if (options.token !== undefined) factory = factory.use(bearerTokenMiddleware(options.token));
  if (options.traceContext ?? true) factory = factory.use(openTelemetryClientMiddleware());
  const client = factory.create(definition, channel);
  const close = (): void => channel.close();
  return { client, close, [Symbol.dispose]: close };
}
